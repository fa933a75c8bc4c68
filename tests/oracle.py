"""Random event streams of one channel, applied to the reference model (tests/reference_model.py)
and to a side under test: the rules kernel (test_kernel_oracle) or the database path
(test_store_oracle). `Run` turns each drawn step into the event both sides apply, applies it to
the model, and holds the side to the model's answers and, in `check`, to its figures.

A step names members and orders by number modulo how many there are, and amounts that depend on
a balance as a share of it; `Run` reads those balances from the model, which the side has just
been found to agree with.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

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


def channel_values(name: str) -> dict[str, str]:
    """The settings of configuration `name`; order lines of product type "gift" are gift
    packages."""
    return {"gift_package_product_types": "gift", **CONFIGS[name]}


# Members are picked by number modulo how many there are; -1 picks a guest or nobody.
customer = st.tuples(st.just("customer"), st.integers(-1, 99))
order = st.tuples(
    st.just("order"),
    st.integers(-1, 99),
    st.integers(1, 40000),  # cents
    st.booleans(),  # a gift package
    st.sampled_from(["paid", "paid", "paid", "cancelled", "cancelled, then charged"]),
)
refund = st.tuples(st.just("refund"), st.integers(0, 99), st.integers(1, 100))  # % refunded in all
redeem = st.tuples(st.just("redeem"), st.integers(0, 99), st.integers(0, 100))  # % of the points
convert = st.tuples(st.just("convert"), st.integers(0, 99), st.integers(0, 100))  # % of the wallet
adjust = st.tuples(
    st.just("adjust"),
    st.integers(0, 99),
    st.sampled_from(["points", "wallet"]),
    st.integers(-3000, 3000),  # points, or cents
)
withdraw = st.tuples(st.just("withdraw"), st.integers(0, 99), st.integers(0, 100), st.booleans())
wait = st.tuples(st.just("wait"), st.integers(60, 2 * 86400))  # seconds
settle = st.tuples(st.just("settle"))  # the rest of the day
# Each with its weight: a stream is mostly orders and refunds.
STEPS = (
    (customer, 1),
    (order, 4),
    (refund, 2),
    (redeem, 1),
    (convert, 1),
    (adjust, 1),
    (withdraw, 1),
    (wait, 1),
    (settle, 1),
)
# The customers a stream starts with: each the number of its referrer, or -1 for none.
customers = st.lists(st.integers(-1, 99), max_size=6)


def streams(*extra, min_size=3, max_size=80):
    """Lists of steps drawn by their weights in STEPS and `extra` ((strategy, weight) pairs).

    Not `st.one_of` with a strategy repeated: it keeps one of each, whatever the repeats."""
    weighted = [strategy for strategy, weight in STEPS + extra for _ in range(weight)]
    step = st.sampled_from(weighted).flatmap(lambda strategy: strategy)
    return st.lists(step, min_size=min_size, max_size=max_size)


def minor(x: Fraction) -> int:
    assert x.denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100), x
    return int(x * 100)


def model_figures(m: ReferenceChannel) -> dict:
    """What `check` compares, in minor units, points and the point value as they are."""
    return {
        "pools": (minor(m.dividend_pool), minor(m.release_pool), minor(m.backing)),
        "funded": minor(m.funded),
        "written off": (minor(m.written_off), m.points_written_off),
        "gift cards": minor(m.gift_cards),
        "withdrawals": (minor(m.withdrawals_pending), minor(m.withdrawals_paid)),
        "points outstanding": m.outstanding_points(),
        "point value": m.point_value(),
        "waiting": len(m.waiting()),
        "unpaid": minor(sum((e.target - e.received for e in m.waiting()), Fraction(0))),
        # Per member, by number: wallet, points, energy, contribution, tier rank.
        "members": [
            (minor(c.wallet), c.points, minor(c.energy), minor(c.contribution), m.tier(n))
            for n, c in enumerate(m.customers)
        ],
        # Per queued order, by ref: target, received, status.
        "queue": {e.ref: (minor(e.target), minor(e.received), e.status) for e in m.queue},
        # Per (day, member): what the day's release paid the member.
        "releases": {key: minor(amount) for key, amount in m.releases.items()},
    }


class Run:
    """A stream applied to the reference model and to a side under test.

    A subclass is the side: it applies each event through the methods below and reports its
    figures, in the shape of `model_figures`, from `figures`. Order refs are numbers from 0 in
    the order orders are placed; times are seconds since the epoch, days date ordinals (UTC).
    """

    # The database settles the days from the first paid order's on (there is nothing to settle
    # before); the kernel settles any day it is given.
    settles_before_first_order = True

    def __init__(self, config):
        self.model = ReferenceChannel(config)
        self.amounts: list[int] = []  # of the orders placed, by ref
        self.now = START + 60
        self.day = FIRST_DAY
        self.first_paid_day = None

    # The side -------------------------------------------------------------------------------

    def add_customer(self, referrer: int | None) -> None:
        raise NotImplementedError

    def place(self, ref: int, member: int | None, amount: int, gift: int, outcome: str) -> None:
        """Outcome "paid", "cancelled" (before payment) or "cancelled, then charged"."""
        raise NotImplementedError

    def refund(self, ref: int, cumulative: int) -> None:
        """`cumulative` cents of order `ref` refunded in all."""
        raise NotImplementedError

    def request(self, kind: str, member: int, *args):
        """Carry out request `kind` ("redeem" points, "convert" cents to a gift card, "adjust"
        points or wallet, "withdraw" cents then approve or reject); return the credit in cents
        for a redemption, None otherwise, or the code of the refusal in the model's words."""
        raise NotImplementedError

    def at(self, now: int) -> None:
        """Time has moved on to `now` (the settlements it brings come next)."""

    def settle_day(self, day: int, end_of_day: int):
        """Settle `day`, which ended at `end_of_day` (`self.now` is later); return the point
        value the settlement recorded."""
        raise NotImplementedError

    def figures(self) -> dict:
        raise NotImplementedError

    # Both ---------------------------------------------------------------------------------------

    def check(self) -> None:
        assert self.figures() == model_figures(self.model)

    def midnight(self) -> int:
        return START + (self.day - FIRST_DAY + 1) * 86400

    def apply(self, step) -> None:
        kind, *args = step
        model = self.model
        members = len(model.customers)
        if kind == "customer":
            # A referrer for a new customer, where the chain stays within three levels.
            pick = args[0] % members if members and args[0] >= 0 else None
            referrer = pick if pick is not None and len(model.chain(pick)) <= 2 else None
            model.add_customer(referrer)
            self.add_customer(referrer)
        elif kind == "order":
            pick, amount, gift, outcome = args
            member = pick % members if members and pick >= 0 else None
            ref = len(self.amounts)
            self.amounts.append(amount)
            gift = amount if gift else 0
            self.place(ref, member, amount, gift, outcome)
            if outcome != "paid":
                model.void(ref)
            if outcome != "cancelled":
                model.confirm(ref, member, amount, gift, self.now, self.day)
            if outcome == "paid" and self.first_paid_day is None:
                self.first_paid_day = self.day
        elif kind == "refund":
            if not self.amounts:
                return
            ref = args[0] % len(self.amounts)
            cumulative = max(self.amounts[ref] * args[1] // 100, 1)
            model.refund(ref, cumulative)
            self.refund(ref, cumulative)
        elif kind in ("redeem", "convert", "adjust", "withdraw"):
            if members:
                self._request(kind, args[0] % members, args[1:])
        elif kind == "wait":
            self.now += args[0]
            self.at(self.now)
            while self.now >= self.midnight():
                self._settle()
        elif kind == "settle":
            self.now = self.midnight() + 60
            self.at(self.now)
            self._settle()
        else:
            raise ValueError(f"unknown step {step!r}")

    def _request(self, kind: str, member: int, args) -> None:
        model, customer = self.model, self.model.customers[member]
        if kind == "adjust":
            event = (args[0], args[1])  # "points" or "wallet", amount
        elif kind == "withdraw":
            event = (minor(customer.wallet) * args[0] // 100, args[1])  # cents, approved
        elif kind == "redeem":
            event = (customer.points * args[0] // 100,)
        else:
            event = (minor(customer.wallet) * args[0] // 100,)
        try:
            if kind == "adjust":
                expected = model.adjust(member, *event, self.day)
            elif kind == "withdraw":
                model.withdraw(member, event[0])
                expected = model.decide(member, *event)
            elif kind == "redeem":
                expected = minor(model.redeem(member, event[0], self.day))
            else:
                expected = model.convert(member, event[0])
        except Refusal as refused:
            expected = refused.code
        found = self.request(kind, member, *event)
        assert (kind, member, event, found) == (kind, member, event, expected)

    def _settle(self) -> None:
        day, end = self.day, self.midnight()
        self.day += 1
        if self.first_paid_day is None and not self.settles_before_first_order:
            return
        assert self.settle_day(day, end) == self.model.settle(day, end)
