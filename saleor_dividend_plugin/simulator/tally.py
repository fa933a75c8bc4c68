"""The simulator's sink for the kernel's movements: summed into the day's figures, not kept."""

from __future__ import annotations

from ..kernel.movements import DIVIDEND_POOL, PLATFORM, PTS, WRITE_OFF
from ..kernel.state import EXPIRED, FREED, WAITING


class Totals:
    """Running totals for the report; `Tally.day` holds those of the current day."""

    __slots__ = (
        "orders",
        "revenue",
        "refunds",
        "funded",
        "pool_funded",
        "queue_paid",
        "referral_paid",
        "released",
        "redeemed",
        "clawed_back",
        "written_off",
        "joined",
        "freed",
        "expired",
        "turned_away",
        "spent",
    )

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, 0)

    def add(self, other: Totals) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Tally:
    """Takes what `kernel.events` hands an `Effects` sink and keeps only figures: the platform's
    funding, what reached customers by way, the queue's comings and goings, waiting times, and
    with `keep_history` every release (day, member, amount)."""

    def __init__(self, keep_history: bool = False):
        self.total = Totals()
        self.day = Totals()
        self.wait_seconds: list[int] = []
        self.releases: list[tuple[int, int, int]] | None = [] if keep_history else None

    def transfer(self, code, key, debit, credit, amount, unit) -> None:
        if not amount or code == "order_rewards":
            return
        day = self.day
        # The platform's funding, net of what came back to it.
        if debit == PLATFORM:
            day.funded += amount
        elif credit == PLATFORM:
            day.funded -= amount
        if code == "order_funding":
            if credit == DIVIDEND_POOL:
                day.pool_funded += amount
            elif type(credit) is tuple:
                day.referral_paid += amount
        elif code == "queue_clawback":
            if debit == WRITE_OFF:
                day.written_off += amount
            else:
                day.clawed_back += amount
        elif code == "referral_clawback":
            day.referral_paid -= amount
            if debit == WRITE_OFF:
                day.written_off += amount
        elif code == "redemption":
            if unit != PTS:
                day.redeemed += amount
        elif code == "gift_card":
            day.spent += amount

    def to_members(self, code, key, debit, kind, members, amounts, unit) -> None:
        if code == "queue_payout":
            self.day.queue_paid += sum(amounts)

    def from_members(self, code, key, kind, members, amounts, credit, unit) -> None:
        """Points expiry: no figure of its own (the points outstanding show it)."""

    def release(self, day: int, amounts: list[int], unit_value: int, currency: str) -> None:
        self.day.released += sum(amounts)
        if self.releases is not None:
            self.releases += [
                (day, member, amount) for member, amount in enumerate(amounts) if amount
            ]

    def entry(self, entry, previous, now) -> None:
        day = self.day
        if previous is None:
            day.joined += 1
        elif previous == WAITING:
            if entry.status == FREED:
                day.freed += 1
                self.wait_seconds.append(now - entry.created)
            elif entry.status == EXPIRED:
                day.expired += 1

    def turned_away(self) -> None:
        self.day.turned_away += 1

    def member(self, member) -> None:
        """Rows are not written: nothing to keep."""

    def lot(self, lot) -> None:
        """Rows are not written: nothing to keep."""

    def close_day(self) -> Totals:
        """The totals of the day that ends, added to the running totals; a new day begins."""
        ended, self.day = self.day, Totals()
        self.total.add(ended)
        return ended
