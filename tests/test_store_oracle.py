"""The database path against the reference model (tests/reference_model.py) on the random event
streams of tests/oracle.py: orders placed, paid, refunded in part and cancelled in the standalone
store and delivered to `lifecycle.sync_order`, points redeemed, wallet credit turned into gift
cards, withdrawn and adjusted by staff, and days settled by `settlement.settle_day`, each applied
once to the model. After every step the pools, the platform's funding, write-offs, every
member's wallet, points, energy, contribution and tier, every queue entry, the point value and
every release read from the database equal the model's, a request one refuses the other refuses
too, and after every stream the audit is clean.

The streams also replay order events: a snapshot the store sent before, the newest or an older
one, delivered again. The model sees each order event once, so a replay must change nothing.
"""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from saleor_dividend_plugin import points, settlement, wallet
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.channels import configure_channel
from saleor_dividend_plugin.ledger import Accounts
from saleor_dividend_plugin.lifecycle import sync_order
from saleor_dividend_plugin.members import member_for, set_referrer
from saleor_dividend_plugin.models import (
    Account,
    AccountKind,
    Member,
    PointValue,
    QueueEntry,
    Release,
)
from saleor_dividend_plugin.money import POINTS
from standalone_host.store.host import snapshot
from standalone_host.store.models import StoreOrder

from .conftest import Shop
from .oracle import CONFIGS, Run, channel_values, customers, settle, streams, wait
from .tally import count

D = Decimal
CENT = D("0.01")
# The wallet's refusals in the model's words; points.redeem already speaks them.
REFUSALS = {"INVALID_AMOUNT": "INVALID", "INSUFFICIENT_FUNDS": "INSUFFICIENT"}
# Deliver again the snapshot the store sent `age` events ago (0: the newest) for an order.
replay = st.tuples(st.just("replay"), st.integers(0, 99), st.integers(0, 3))
# Replays, and more days than the kernel's streams have: the settlement is a path of its own here.
EXTRA = ((replay, 2), (wait, 1), (settle, 1))
_keys = itertools.count(1)


def cents(amount: Decimal) -> int:
    assert amount % CENT == 0, amount
    return int(amount / CENT)


def whole(number: Decimal) -> int:
    assert number % 1 == 0, number
    return int(number)


class Store(Run):
    """The standalone store and the plugin's database, driven by the same events as the model."""

    settles_before_first_order = False

    def __init__(self, name, clock, make_user):
        self.channel = configure_channel(f"oracle-{name}", "USD", channel_values(name), True)
        super().__init__(self.channel.settings)
        self.shop = Shop(self.channel)
        self.clock = clock
        self.make_user = make_user
        self.users, self.members = [], []
        self.orders: list[StoreOrder] = []
        self.sent: list[list] = []  # per order, every snapshot the store has sent, oldest first
        self.at(self.now)

    def at(self, now: int) -> None:
        self.clock.set(datetime.datetime.fromtimestamp(now, datetime.UTC))

    def apply(self, step):
        if step[0] == "replay":
            if self.orders:
                sent = self.sent[step[1] % len(self.orders)]
                sync_order(sent[-1 - step[2] % len(sent)])
                count("store oracle: order snapshots delivered again")
            return
        super().apply(step)

    def add_customer(self, referrer):
        user = self.make_user()
        member = member_for(self.channel, user.pk)
        if referrer is not None:
            member = set_referrer(member, self.members[referrer].referral_code)
        self.users.append(user)
        self.members.append(member)

    def _sent(self, ref: int) -> None:
        self.sent[ref].append(snapshot(StoreOrder.objects.get(pk=self.orders[ref].pk)))

    def place(self, ref, member, amount, gift, outcome):
        user = None if member is None else self.users[member]
        kind = "gift" if gift else "default"
        order = self.shop.place(user, D(amount) / 100, product_type=kind)
        self.orders.append(order)
        self.sent.append([])
        self._sent(ref)
        if outcome != "paid":
            self.shop.cancel(order)
            self._sent(ref)
        if outcome != "cancelled":
            self.shop.pay(order)
            self._sent(ref)

    def refund(self, ref, cumulative):
        order = self.orders[ref]
        order.refresh_from_db()
        more = D(cumulative) / 100 - order.refunded
        # The store refunds only what it charged: an order cancelled unpaid has nothing to refund.
        if more > 0 and order.charged > 0:
            self.shop.refund(order, more)
            self._sent(ref)

    def request(self, kind, member, *args):
        member, key = self.members[member], f"oracle-{next(_keys)}"
        credit = None
        try:
            if kind == "adjust":
                what, amount = args
                amount = D(amount) / 100 if what == "wallet" else D(amount)
                wallet.adjust(member, what, amount, reason="oracle", staff="staff", key=key)
            elif kind == "withdraw":
                amount, approve = args
                asked = wallet.request_withdrawal(member, D(amount) / 100, "IBAN", key=key)
                wallet.decide_withdrawal(asked.pk, approve=approve, staff="staff")
            elif kind == "redeem":
                credit = cents(points.redeem(member, D(args[0]), key=key))
            else:
                wallet.convert_to_gift_card(member, D(args[0]) / 100, key=key)
        except (wallet.WalletError, points.RedemptionError) as refused:
            if kind == "withdraw" and args[0] == 0 and refused.code == "INVALID_AMOUNT":
                # Known to differ in words only: the wallet refuses a zero amount before it
                # compares it with the minimum withdrawal, the model names the minimum first.
                return "BELOW_MINIMUM" if self.channel.settings.min_withdrawal > 0 else "INVALID"
            return REFUSALS.get(refused.code, refused.code)
        count(f"store oracle: requests granted ({kind})")
        return credit

    def settle_day(self, day, end_of_day):
        day = datetime.date.fromordinal(day)
        assert settlement.settle_day(self.channel, day).status == settlement.SETTLED
        count("store oracle: days settled")
        return PointValue.objects.get(channel=self.channel, day=day).value

    def figures(self):
        channel, config = self.channel, self.channel.settings
        accounts = Accounts(channel)

        def system(kind, unit=None):
            return accounts.system(kind, unit).balance

        number = {m.pk: n for n, m in enumerate(self.members)}
        ref = {str(o.pk): n for n, o in enumerate(self.orders)}
        held = {
            (number[member], kind): balance
            for member, kind, balance in Account.objects.filter(
                channel=channel, member__isnull=False
            ).values_list("member_id", "kind", "balance")
        }
        tiers = dict(Member.objects.filter(channel=channel).values_list("pk", "tier_code"))
        queue = QueueEntry.objects.filter(channel=channel).values_list(
            "order__order_id", "target", "received", "status"
        )
        waiting = [
            target - received for _, target, received, status in queue if status == "waiting"
        ]
        return {
            "pools": tuple(
                cents(system(kind))
                for kind in (
                    AccountKind.DIVIDEND_POOL,
                    AccountKind.RELEASE_POOL,
                    AccountKind.POINTS_BACKING,
                )
            ),
            "funded": -cents(system(AccountKind.PLATFORM)),
            "written off": (
                -cents(accounts.write_off(channel.currency).balance),
                -whole(accounts.write_off(POINTS).balance),
            ),
            "gift cards": cents(system(AccountKind.GIFT_CARDS)),
            "withdrawals": (
                cents(system(AccountKind.WITHDRAWALS_PENDING)),
                cents(system(AccountKind.WITHDRAWALS_PAID)),
            ),
            "points outstanding": whole(points.outstanding_points(accounts)),
            "point value": points.point_value(channel, accounts),
            "waiting": len(waiting),
            "unpaid": cents(sum(waiting, D(0))),
            "members": [
                (
                    cents(held[n, AccountKind.WALLET]),
                    whole(held[n, AccountKind.POINTS]),
                    cents(held[n, AccountKind.ENERGY]),
                    cents(held[n, AccountKind.CONTRIBUTION]),
                    config.tier_rank(tiers[m.pk]),
                )
                for n, m in enumerate(self.members)
            ],
            "queue": {
                ref[order]: (cents(target), cents(received), status)
                for order, target, received, status in queue
            },
            "releases": {
                (day.toordinal(), number[member]): cents(amount)
                for day, member, amount in Release.objects.filter(channel=channel).values_list(
                    "day", "member_id", "amount"
                )
            },
        }


def play(clock, make_user, name, customers, stream) -> None:
    """Run the stream in a savepoint rolled back at its end, so that every example starts from an
    empty database."""
    steps = [("customer", pick) for pick in customers] + stream
    with transaction.atomic():
        store = Store(name, clock, make_user)
        for step in steps:
            store.apply(step)
            store.check()
        assert audit_channel(store.channel) == []
        transaction.set_rollback(True)
    count("store oracle: examples")
    count("store oracle: steps, each compared with the model", len(steps))


@pytest.fixture
def gift_cards(settings):
    settings.DIVIDEND_HOST = "tests.test_wallet.GiftCardHost"


def examples(max_examples):
    return settings(
        max_examples=max_examples,
        deadline=None,
        # Shrinking finds the shortest stream that disagrees; explaining it would take minutes.
        phases=[phase for phase in Phase if phase != Phase.explain],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@examples(40)
# A payout spent as a gift card, then the order refunded: the clawback falls short.
@example(
    "defaults",
    [-1, -1],
    [("order", 0, 10000, False, "paid"), ("order", 1, 10000, False, "paid"), ("convert", 0, 100)]
    + [("refund", 0, 100)],
)
# A charge reported after the cancellation confirms nothing, however often it is delivered.
@example(
    "fifo-chain-rate",
    [-1, 0],
    [("order", 1, 5000, True, "cancelled, then charged"), ("replay", 0, 0), ("replay", 0, 1)],
)
# Refunded in part, then the payment and the placement delivered again, after the day's
# settlement: nothing is confirmed or refunded twice.
@example(
    "even-queue-backed",
    [-1, 0],
    [("order", 1, 20000, False, "paid"), ("order", 0, 9000, False, "paid")]
    + [("refund", 0, 40), ("settle",), ("replay", 0, 1), ("replay", 0, 2), ("replay", 0, 0)],
)
# Three tiers releasing by their weights over days of a rising point value, a redemption at it,
# and a gift package that stops granting its tier once it is refunded.
@example(
    "fifo-chain-rate",
    [-1, 0, -1],
    [("order", 0, 40000, False, "paid"), ("order", 1, 20000, False, "paid")]
    + [("order", 2, 5000, True, "paid"), ("settle",), ("wait", 86400), ("redeem", 0, 50)]
    + [("settle",), ("refund", 2, 100), ("settle",), ("replay", 2, 1), ("settle",)],
)
@given(
    st.sampled_from(sorted(CONFIGS)),
    customers,
    streams(*EXTRA, min_size=10, max_size=25),
)
def test_the_database_applies_the_rules_as_the_reference_model_does(
    db, clock, gift_cards, make_user, name, customers, stream
):
    play(clock, make_user, name, customers, stream)


@pytest.mark.slow
@examples(200)
@given(
    st.sampled_from(sorted(CONFIGS)),
    customers,
    streams(*EXTRA, min_size=30, max_size=80),
)
def test_the_database_applies_the_rules_as_the_reference_model_does_on_long_streams(
    db, clock, gift_cards, make_user, name, customers, stream
):
    play(clock, make_user, name, customers, stream)
