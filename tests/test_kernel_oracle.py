"""The kernel against the reference model (tests/reference_model.py) on random event streams:
after every event the pools, the platform's funding, write-offs, every member's wallet, points,
energy, contribution and tier, every queue entry, the point value and every release are exactly
equal, and a request one refuses the other refuses too."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from saleor_dividend_plugin.config import parse_config
from saleor_dividend_plugin.kernel import events
from saleor_dividend_plugin.kernel.events import Refused
from saleor_dividend_plugin.kernel.movements import Effects
from saleor_dividend_plugin.kernel.state import ChannelState, Order

from .oracle import CONFIGS, Run, channel_values, customers, streams


class Pair(Run):
    """The kernel and the reference model, driven by the same events."""

    def __init__(self, name):
        config = parse_config(channel_values(name))
        super().__init__(config)
        self.state = ChannelState(config, "USD")
        self.fx = Effects()
        self.orders: list[Order] = []

    def add_customer(self, referrer):
        self.state.add_member(referrer=-1 if referrer is None else referrer)

    def place(self, ref, member, amount, gift, outcome):
        order = Order(ref, member, amount, gift)
        self.orders.append(order)
        if outcome != "paid":
            events.void(self.state, order)
        if outcome != "cancelled":
            events.confirm(self.state, order, self.now, self.day, self.fx)

    def refund(self, ref, cumulative):
        events.refund(self.state, self.orders[ref], cumulative, self.now, self.fx)

    def request(self, kind, member, *args):
        state, fx = self.state, self.fx
        try:
            if kind == "adjust":
                return events.adjust(state, member, *args, self.day, "a", fx)
            if kind == "withdraw":
                amount, approve = args
                events.withdraw(state, member, amount, "w", fx)
                return events.decide_withdrawal(state, member, amount, approve, "w", fx)
            if kind == "redeem":
                return events.redeem(state, member, *args, self.day, "r", fx)
            return events.convert(state, member, *args, "g", fx)
        except Refused as refused:
            return refused.code

    def settle_day(self, day, end_of_day):
        return events.settle_day(self.state, day, end_of_day, self.fx)

    def figures(self):
        s = self.state
        return {
            "pools": (s.dividend_pool, s.release_pool, s.backing),
            "funded": -s.platform,
            "written off": (-s.write_off, -s.write_off_points),
            "gift cards": s.gift_cards,
            "withdrawals": (s.withdrawals_pending, s.withdrawals_paid),
            "points outstanding": s.outstanding_points(),
            "point value": s.point_value(),
            "waiting": s.waiting,
            "unpaid": s.waiting_remaining,
            "members": [
                (s.wallet[n], s.points[n], s.energy[n], s.contribution[n], s.tier[n])
                for n in range(s.member_count())
            ],
            "queue": {
                o.ref: (o.entry.target, o.entry.received, o.entry.status)
                for o in self.orders
                if o.entry is not None
            },
            "releases": {
                (t.key[0][1], t.credit[1]): t.amount
                for t in self.fx.transfers
                if t.code == "daily_release" and t.debit == "release_pool"
            },
        }


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
@given(st.sampled_from(sorted(CONFIGS)), customers, streams())
def test_the_kernel_applies_the_rules_as_the_reference_model_does(name, customers, stream):
    pair = Pair(name)
    for step in [("customer", pick) for pick in customers] + stream:
        pair.apply(step)
        pair.check()
