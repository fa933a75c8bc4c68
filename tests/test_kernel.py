"""The rules kernel with amounts worked out by hand (the same cases as tests/test_lifecycle.py),
and what holds for every event: the state's balances are what its transfers add up to."""

from decimal import Decimal as D

import pytest

from saleor_dividend_plugin.config import parse_config
from saleor_dividend_plugin.kernel import events
from saleor_dividend_plugin.kernel.events import Refused
from saleor_dividend_plugin.kernel.movements import (
    MEMBER_ACCOUNTS,
    SYSTEM_ACCOUNTS,
    Effects,
    balances,
)
from saleor_dividend_plugin.kernel.state import ChannelState, Order

NOON = 1_767_268_800  # 2026-01-01 12:00 UTC
DAY = 739_617  # 2026-01-01


class Channel:
    """A kernel state with every transfer kept, and a few words for the events."""

    def __init__(self, **values):
        config = parse_config({k: str(v) for k, v in values.items()})
        self.state = ChannelState(config, "USD")
        self.fx = Effects()
        self.orders = 0

    def member(self):
        return self.state.add_member()

    def pay(self, member, amount, gift=0, now=NOON, day=DAY) -> Order:
        self.orders += 1
        order = Order(self.orders, member, amount, gift)
        assert events.confirm(self.state, order, now, day, self.fx)
        return order

    def refund(self, order, cumulative, now=NOON):
        return events.refund(self.state, order, cumulative, now, self.fx)

    def settle(self, day, end):
        return events.settle_day(self.state, day, end, self.fx)

    def check(self):
        """Every balance of the state equals the sum of the transfers made so far."""
        s = self.state
        posted = {account: v for (account, _), v in balances(self.fx.transfers).items()}
        for kind in SYSTEM_ACCOUNTS:
            attribute = {"points_backing": "backing", "write_off:PTS": "write_off_points"}
            assert getattr(s, attribute.get(kind, kind)) == posted.get(kind, 0), kind
        for kind in MEMBER_ACCOUNTS:
            column = getattr(s, kind)
            for member, balance in enumerate(column):
                assert balance == posted.get((kind, member), 0), (kind, member)


def test_the_pool_pays_the_head_of_the_queue_with_later_orders():
    c = Channel()
    s = c.state
    alice, bob = c.member(), c.member()
    first = c.pay(alice, 10000)
    # Alice's own 20 waits in the pool: nobody is ahead of her.
    assert (s.dividend_pool, s.wallet[alice]) == (2000, 0)
    assert (first.entry.target, first.points, first.energy) == (10000, 100, 30000)
    c.pay(bob, 10000, now=NOON + 60)
    assert (s.wallet[alice], s.dividend_pool, s.waiting) == (4000, 0, 2)
    # dividend 20%, release 10%, backing 5% of each order
    assert (s.release_pool, s.backing, s.platform) == (2000, 1000, -7000)
    payout = [t for t in c.fx.transfers if t.code == "queue_payout"]
    assert [(t.key, t.debit, t.credit, t.amount) for t in payout] == [
        ((2, "payout", 0), "dividend_pool", ("wallet", alice), 4000)
    ]
    c.check()


def test_partial_refunds_shrink_the_entry_and_claw_back_what_it_received_above_it():
    c = Channel()
    s = c.state
    alice, bob = c.member(), c.member()
    order = c.pay(alice, 10000)
    c.pay(bob, 10000, now=NOON + 60)
    assert c.refund(order, 3000) == 3000
    entry = order.entry
    assert (entry.target, entry.received) == (7000, 4000)
    assert (s.points[alice], s.energy[alice], s.contribution[alice]) == (70, 21000, 7000)
    c.refund(order, 8500)
    assert (entry.target, entry.received, entry.status) == (1500, 1500, "freed")
    assert (s.wallet[alice], s.dividend_pool) == (1500, 2500)
    events.convert(s, alice, 1400, "card", c.fx)
    c.refund(order, 10000)
    assert (entry.target, entry.received, entry.status) == (0, 0, "cancelled")
    # 15 due back, 1 left in the wallet: 14 written off against the platform, and only the 1
    # given back refills the pool (25 + 1), never the 14 that were spent (DESIGN §11 rule 8)
    assert (s.wallet[alice], s.write_off, s.dividend_pool) == (0, -1400, 2600)
    assert (s.points[alice], s.energy[alice], s.contribution[alice]) == (0, 0, 0)
    assert c.refund(order, 10000) == 0
    c.check()


def test_a_void_order_is_final():
    c = Channel()
    s = c.state
    alice = c.member()
    order = Order("late", alice, 10000)
    assert events.void(s, order)
    assert not events.confirm(s, order, NOON, DAY, c.fx)
    assert c.refund(order, 10000) == 0
    assert (order.status, s.points[alice], s.waiting, s.platform, c.fx.transfers) == (
        "void",
        0,
        0,
        0,
        [],
    )
    paid = c.pay(alice, 10000)
    assert not events.void(s, paid) and not events.confirm(s, paid, NOON, DAY, c.fx)
    assert s.points[alice] == 100


def test_even_mode_splits_the_pool_among_the_first_entries():
    c = Channel(payout_mode="even", even_k=2, dividend_ratio="0.3")
    members = [c.member() for _ in range(3)]
    for i, member in enumerate(members):
        c.pay(member, 10000, now=NOON + i)
    # The first 30 waits (nobody ahead); the second order's 30 and it pay the only waiting
    # entry 60; the third's 30 is split between the two waiting: 15 each.
    assert c.state.wallet == [7500, 1500, 0]
    c.pay(None, 10001, now=NOON + 9)  # a guest order funds 30.00 (30.003 rounded)
    assert c.state.wallet == [9000, 3000, 0]
    c.check()


def test_referrers_earn_along_the_chain_and_lose_the_refunded_share():
    c = Channel()
    s = c.state
    top = c.member()
    middle = s.add_member(referrer=top)
    buyer = s.add_member(referrer=middle)
    order = c.pay(buyer, 10000)
    assert (s.wallet[middle], s.wallet[top]) == (500, 200)
    c.refund(order, 5000)
    assert (s.wallet[middle], s.wallet[top]) == (250, 100)
    assert s.platform == -(2000 + 1000 + 500 + 350)
    c.check()


def test_daily_release_shares_the_budget_by_weighted_contribution_within_energy():
    c = Channel(energy_multiplier="0.01")
    s = c.state
    small_spender, big_spender = c.member(), c.member()
    c.pay(small_spender, 10000)  # energy 1.00
    c.pay(big_spender, 30000)  # energy 3.00
    # The queue: 20 + 60 of dividend pay 80 of the small spender's 100.
    assert s.wallet == [8000, 0]
    # Budget 40.00 over a contribution of 400: 0.10 per unit, capped at each one's energy.
    c.settle(DAY, NOON + 86400)
    assert s.wallet == [8000 + 100, 300]
    assert (s.energy, s.release_pool) == ([0, 0], 4000 - 400)
    c.check()


def test_gift_packages_grant_their_tier_until_fully_refunded():
    c = Channel(gift_package_product_types="gift", gift_package_tier="gold")
    s = c.state
    buyer = c.member()
    order = c.pay(buyer, 5000, gift=5000)
    assert s.terms.config.tiers[s.tier[buyer]].code == "gold"
    assert s.energy[buyer] == 25000  # 50 x the gift package multiplier 5
    c.refund(order, 5000)
    assert s.terms.config.tiers[s.tier[buyer]].code == "member"


def test_rate_mode_point_value_appreciates_daily_up_to_its_cap():
    c = Channel(
        point_value_mode="rate",
        point_value_initial="0.01",
        point_daily_appreciation="0.5",
        point_value_max="0.02",
    )
    s = c.state
    buyer = c.member()
    c.pay(buyer, 100000)  # backing 50.00 for 1,000 points: cap 0.05
    values = [c.settle(DAY + day, NOON + 86400 * (day + 1)) for day in range(3)]
    assert values == [D("0.01"), D("0.015"), D("0.02")]
    assert events.redeem(s, buyer, 1000, DAY + 3, "r", c.fx) == 2000
    assert (s.points[buyer], s.backing) == (0, 5000 - 2000)
    c.check()


def test_a_missed_day_is_caught_up_by_the_appreciation():
    c = Channel(point_value_mode="rate", point_value_initial="0.01", point_daily_appreciation="0.1")
    assert events.appreciate(c.state, DAY) == D("0.01")
    assert events.appreciate(c.state, DAY + 2) == D("0.0121")
    assert events.appreciate(c.state, DAY + 2) == D("0.0121")


def test_requests_the_rules_refuse_change_nothing():
    c = Channel(points_min_redemption=50, withdrawals_enabled="true", min_withdrawal="10")
    s = c.state
    buyer = c.member()
    c.pay(buyer, 4000)  # 40 points, a 10.00 wallet at most
    for call, code in [
        (lambda: events.redeem(s, buyer, 40, DAY, "r", c.fx), "BELOW_MINIMUM"),
        (lambda: events.redeem(s, buyer, 0, DAY, "r", c.fx), "INVALID"),
        (lambda: events.convert(s, buyer, 1, "g", c.fx), "INSUFFICIENT"),
        (lambda: events.withdraw(s, buyer, 999, "w", c.fx), "BELOW_MINIMUM"),
        (lambda: events.withdraw(s, buyer, 1000, "w", c.fx), "INSUFFICIENT"),
        (lambda: events.adjust(s, buyer, "points", -41, DAY, "a", c.fx), "INSUFFICIENT"),
    ]:
        before = len(c.fx.transfers)
        with pytest.raises(Refused) as refused:
            call()
        assert refused.value.code == code
        assert len(c.fx.transfers) == before
    assert (s.points[buyer], s.wallet[buyer]) == (40, 0)


def test_wallet_withdrawals_and_corrections_move_between_the_right_accounts():
    c = Channel(withdrawals_enabled="true", min_withdrawal="10", points_expire_days=30)
    s = c.state
    buyer = c.member()
    events.adjust(s, buyer, "wallet", 5000, DAY, "a1", c.fx)
    events.withdraw(s, buyer, 2000, "w1", c.fx)
    events.decide_withdrawal(s, buyer, 2000, False, "w1", c.fx)
    events.withdraw(s, buyer, 3000, "w2", c.fx)
    events.decide_withdrawal(s, buyer, 3000, True, "w2", c.fx)
    assert (s.wallet[buyer], s.withdrawals_pending, s.withdrawals_paid, s.platform) == (
        2000,
        0,
        3000,
        -5000,
    )
    events.adjust(s, buyer, "points", 70, DAY, "a2", c.fx)
    events.adjust(s, buyer, "points", -20, DAY, "a3", c.fx)
    assert (s.points[buyer], [lot[2] for lot in s.lots[buyer]]) == (50, [50])
    # The lot expires after its last day, and the settlement burns it.
    assert events.expire_points(s, DAY + 30, c.fx) == 50
    assert (s.points[buyer], s.outstanding_points()) == (0, 0)
    c.check()


def test_a_release_share_that_comes_out_even_is_paid_in_full():
    # One member: the budget 0.33 (10% of 3.33) over a contribution of 3.33 is 0.0990990... per
    # unit; rounding that first would pay 0.32 of the 0.33.
    c = Channel()
    buyer = c.member()
    c.pay(buyer, 333)
    c.settle(DAY, NOON + 86400)
    assert (c.state.wallet[buyer], c.state.release_pool) == (33, 0)
    c.check()


def test_a_refund_shrinks_the_queue_entry_by_the_exact_share():
    # 1.63 of 1.70 refunded: the target 1.70 becomes 0.07 (a rounded share, 0.0411764..., would
    # make it 0.06).
    c = Channel(free_ratio=1)
    order = c.pay(c.member(), 170)
    c.refund(order, 163)
    assert (order.entry.target, order.entry.status) == (7, "waiting")
    assert c.state.waiting_remaining == 7


def test_the_kernel_imports_neither_django_nor_the_database_path():
    import subprocess
    import sys

    code = (
        "import sys, saleor_dividend_plugin.kernel.events, saleor_dividend_plugin.simulator.run;"
        "print(sorted(m for m in sys.modules if m.startswith('django')"
        " or m in ('saleor_dividend_plugin.models', 'saleor_dividend_plugin.ledger')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
