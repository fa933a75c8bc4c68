"""The kernel against the reference model (tests/reference_model.py) on random event streams:
after every event the pools, the platform's funding, write-offs, every member's wallet, points,
energy, contribution and tier, every queue entry, the point value and every release are exactly
equal, and a request one refuses the other refuses too."""

from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from saleor_dividend_plugin.config import parse_config
from saleor_dividend_plugin.kernel import events
from saleor_dividend_plugin.kernel.events import Refused
from saleor_dividend_plugin.kernel.movements import Effects
from saleor_dividend_plugin.kernel.state import ChannelState, Order

from .reference_model import ReferenceChannel, Refusal
from .samples import TIERS

START = 1_767_225_600  # 2026-01-01 00:00 UTC
FIRST_DAY = 739_617  # 2026-01-01
CONFIGS = {
    "fifo-chain-rate": {
        "tiers": TIERS,
        "gift_package_tier": "gold",
        "queue_ttl_days": "2",
        "queue_max_length": "6",
        "queue_max_entries_per_member": "2",
        "queue_max_amount": "120",
        "points_expire_days": "2",
        "point_value_mode": "rate",
        "point_value_initial": "0.02",
        "point_daily_appreciation": "0.1",
        "point_value_max": "0.03",
        "points_min_redemption": "20",
        "dividend_ratio": "0.25",
        "free_ratio": "0.8",
        "referral_ratios": "0.05,0.03,0.01",
    },
    "even-queue-backed": {
        "tiers": TIERS,
        "gift_package_tier": "silver",
        "payout_mode": "even",
        "even_k": "3",
        "referral_mode": "queue",
        "dividend_ratio": "0.3",
        "free_ratio": "0.5",
        "queue_min_amount": "5",
        "point_value_mode": "backed",
        "energy_multiplier": "2.5",
        "release_ratio": "0.15",
        "withdrawals_enabled": "true",
        "min_withdrawal": "0.5",
    },
    "defaults": {},
}

# Members are picked by number modulo how many there are; -1 picks a guest or nobody.
customer = st.tuples(st.just("customer"), st.integers(-1, 99))
order = st.tuples(
    st.just("order"),
    st.integers(-1, 99),
    st.integers(1, 40000),  # cents
    st.booleans(),  # a gift package
    st.sampled_from(["paid", "paid", "paid", "cancelled", "cancelled, then charged"]),
)
refund = st.tuples(st.just("refund"), st.integers(0, 99), st.integers(1, 100))
redeem = st.tuples(st.just("redeem"), st.integers(0, 99), st.integers(0, 100))
convert = st.tuples(st.just("convert"), st.integers(0, 99), st.integers(0, 100))
adjust = st.tuples(
    st.just("adjust"),
    st.integers(0, 99),
    st.sampled_from(["points", "wallet"]),
    st.integers(-3000, 3000),
)
withdraw = st.tuples(st.just("withdraw"), st.integers(0, 99), st.integers(0, 100), st.booleans())
wait = st.tuples(st.just("wait"), st.integers(60, 2 * 86400))
settle = st.tuples(st.just("settle"))
streams = st.lists(
    st.one_of(
        customer,
        order,
        order,
        order,
        order,
        refund,
        refund,
        redeem,
        convert,
        adjust,
        withdraw,
        wait,
        settle,
    ),
    min_size=3,
    max_size=80,
)


def minor(x: Fraction) -> int:
    assert x.denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100), x
    return int(x * 100)


class Pair:
    """The kernel and the reference model, driven by the same events."""

    def __init__(self, name):
        config = parse_config({"gift_package_product_types": "gift", **CONFIGS[name]})
        self.config = config
        self.state = ChannelState(config, "USD")
        self.fx = Effects()
        self.model = ReferenceChannel(config)
        self.orders: list[Order] = []
        self.now = START + 60
        self.day = FIRST_DAY
        self.releases = {}
        self.values = []

    def midnight(self):
        return START + (self.day - FIRST_DAY + 1) * 86400

    def apply(self, step):
        kind, *args = step
        state, model, fx = self.state, self.model, self.fx
        members = state.member_count()
        if kind == "customer":
            # A referrer for a new customer, where the chain stays within three levels.
            pick = args[0] % members if members and args[0] >= 0 else None
            ok = pick is not None and state.referral_depth(pick) <= 2
            referrer = pick if ok else None
            state.add_member(referrer=-1 if referrer is None else referrer)
            model.add_customer(referrer)
        elif kind == "order":
            pick, amount, gift, outcome = args
            member = pick % members if members and pick >= 0 else None
            ref = len(self.orders)
            order = Order(ref, member, amount, amount if gift else 0)
            self.orders.append(order)
            if outcome != "paid":
                events.void(state, order)
                model.void(ref)
            if outcome != "cancelled":
                events.confirm(state, order, self.now, self.day, fx)
                model.confirm(ref, member, amount, order.gift, self.now, self.day)
        elif kind == "refund":
            if not self.orders:
                return
            order = self.orders[args[0] % len(self.orders)]
            cumulative = max(order.amount * args[1] // 100, 1)
            events.refund(state, order, cumulative, self.now, fx)
            model.refund(order.ref, cumulative)
        elif kind in ("redeem", "convert", "adjust", "withdraw"):
            if not members:
                return
            member, share = args[0] % members, args[1]
            if kind == "adjust":
                amount = args[2]
                request = (
                    lambda: events.adjust(state, member, share, amount, self.day, "a", fx),
                    lambda: model.adjust(member, share, amount, self.day),
                )
            elif kind == "withdraw":
                amount, approve = state.wallet[member] * share // 100, args[2]

                def request_and_decide():
                    events.withdraw(state, member, amount, "w", fx)
                    events.decide_withdrawal(state, member, amount, approve, "w", fx)

                def model_request_and_decide():
                    model.withdraw(member, amount)
                    model.decide(member, amount, approve)

                request = (request_and_decide, model_request_and_decide)
            elif kind == "redeem":
                points = state.points[member] * share // 100
                request = (
                    lambda: events.redeem(state, member, points, self.day, "r", fx),
                    lambda: model.redeem(member, points, self.day),
                )
            else:
                amount = state.wallet[member] * share // 100
                request = (
                    lambda: events.convert(state, member, amount, "g", fx),
                    lambda: model.convert(member, amount),
                )
            outcomes = []
            for call, refusal in zip(request, (Refused, Refusal), strict=True):
                try:
                    outcomes.append(call())
                except refusal as refused:
                    outcomes.append(refused.code)
            kernel, reference = outcomes
            if isinstance(reference, Fraction):
                reference = minor(reference)
            assert kernel == reference
        elif kind == "wait":
            self.now += args[0]
            while self.now >= self.midnight():
                self.settle()
        else:
            self.settle()
            self.now = self.midnight() - 86400 + 60

    def settle(self):
        end = self.midnight()
        value = events.settle_day(self.state, self.day, end, self.fx)
        assert value == self.model.settle(self.day, end)
        self.day += 1

    def compare(self):
        s, m = self.state, self.model
        found = {
            "pools": (s.dividend_pool, s.release_pool, s.backing),
            "funded": -s.platform,
            "written off": (-s.write_off, -s.write_off_points),
            "gift cards": s.gift_cards,
            "withdrawals": (s.withdrawals_pending, s.withdrawals_paid),
            "points outstanding": s.outstanding_points(),
            "point value": s.point_value(),
            "waiting": s.waiting,
            "unpaid": s.waiting_remaining,
        }
        expected = {
            "pools": (minor(m.dividend_pool), minor(m.release_pool), minor(m.backing)),
            "funded": minor(m.funded),
            "written off": (minor(m.written_off), m.points_written_off),
            "gift cards": minor(m.gift_cards),
            "withdrawals": (minor(m.withdrawals_pending), minor(m.withdrawals_paid)),
            "points outstanding": m.outstanding_points(),
            "point value": m.point_value(),
            "waiting": len(m.waiting()),
            "unpaid": minor(sum((e.target - e.received for e in m.waiting()), Fraction(0))),
        }
        assert found == expected
        members = [
            (s.wallet[n], s.points[n], s.energy[n], s.contribution[n], s.tier[n])
            for n in range(s.member_count())
        ]
        customers = [
            (minor(c.wallet), c.points, minor(c.energy), minor(c.contribution), m.tier(n))
            for n, c in enumerate(m.customers)
        ]
        assert members == customers
        entries = {
            o.ref: (o.entry.target, o.entry.received, o.entry.status)
            for o in self.orders
            if o.entry is not None
        }
        assert entries == {e.ref: (minor(e.target), minor(e.received), e.status) for e in m.queue}
        released = {
            (t.key[0][1], t.credit[1]): t.amount
            for t in self.fx.transfers
            if t.code == "daily_release" and t.debit == "release_pool"
        }
        assert released == {key: minor(amount) for key, amount in m.releases.items()}


@settings(max_examples=300, deadline=None)
# A payout spent as a gift card, then the order refunded: the clawback falls short.
@example(
    "defaults",
    [-1, -1],
    [("order", 0, 10000, False, "paid"), ("order", 1, 10000, False, "paid"), ("convert", 0, 100)]
    + [("refund", 0, 100)],
)
# A charge reported after the cancellation confirms nothing.
@example("fifo-chain-rate", [-1, 0], [("order", 1, 5000, True, "cancelled, then charged")])
@given(st.sampled_from(sorted(CONFIGS)), st.lists(st.integers(-1, 99), max_size=6), streams)
def test_the_kernel_applies_the_rules_as_the_reference_model_does(name, customers, stream):
    pair = Pair(name)
    for step in [("customer", pick) for pick in customers] + stream:
        pair.apply(step)
        pair.compare()
