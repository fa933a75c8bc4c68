"""What applying events produces: transfers to post, and which rows of the state changed.

A transfer is one record in TigerBeetle's shape: it debits one account and credits another by a
positive amount of one unit, so every posting balances by construction. An account is a system
account's kind (`PLATFORM`, ...) or a member account `(kind, member)`. Balances follow the
ledger's sign: a credit adds, a debit subtracts, so sources (the platform, the issued accounts)
run negative.

The kernel hands every transfer to a sink (`Effects`); a shell decides what to keep. `Effects`
keeps everything, which is what a shell that writes the ledger needs; the simulator's tally sums
the amounts by code instead.
"""

from __future__ import annotations

from typing import NamedTuple

# System accounts (models.AccountKind).
PLATFORM = "platform"
DIVIDEND_POOL = "dividend_pool"
RELEASE_POOL = "release_pool"
POINTS_BACKING = "points_backing"
WRITE_OFF = "write_off"
WRITE_OFF_POINTS = "write_off:PTS"
GIFT_CARDS = "gift_cards"
WITHDRAWALS_PENDING = "withdrawals_pending"
WITHDRAWALS_PAID = "withdrawals_paid"
POINTS_ISSUED = "points_issued"
ENERGY_ISSUED = "energy_issued"
CONTRIBUTION_ISSUED = "contribution_issued"
SYSTEM_ACCOUNTS = (
    PLATFORM,
    DIVIDEND_POOL,
    RELEASE_POOL,
    POINTS_BACKING,
    WRITE_OFF,
    WRITE_OFF_POINTS,
    GIFT_CARDS,
    WITHDRAWALS_PENDING,
    WITHDRAWALS_PAID,
    POINTS_ISSUED,
    ENERGY_ISSUED,
    CONTRIBUTION_ISSUED,
)
# Member accounts (models.MEMBER_KINDS).
POINTS = "points"
ENERGY = "energy"
CONTRIBUTION = "contribution"
WALLET = "wallet"
MEMBER_ACCOUNTS = (POINTS, ENERGY, CONTRIBUTION, WALLET)

# Units besides the channel's currency (money.POINTS, money.ENERGY, money.CONTRIBUTION).
PTS, ENERGY_UNIT, CONTRIB = "PTS", "ENERGY", "CONTRIB"


class Transfer(NamedTuple):
    # Unique per movement, so that posting it twice changes nothing: (reference, step, n), where
    # the reference names the event (an order, a day, a request) and n counts the step's legs.
    key: tuple
    debit: str | tuple[str, int]
    credit: str | tuple[str, int]
    amount: int
    unit: str
    # What the movement is, in the ledger's words (order_funding, queue_payout, ...).
    code: str


class Effects:
    """Collects what the kernel did: the transfers, and the members, queue entries and point lots
    whose rows changed (a shell writes those)."""

    def __init__(self):
        self.transfers: list[Transfer] = []
        self.members: set[int] = set()
        self.entries: list = []
        self.lots: list = []

    def transfer(self, code, key, debit, credit, amount, unit) -> None:
        if amount:
            self.transfers.append(Transfer(key, debit, credit, amount, unit, code))

    def to_members(self, code, key, debit, kind, members, amounts, unit) -> None:
        """Many transfers from one system account to the `kind` accounts of `members`."""
        rows = self.transfers
        n = 0
        for member, amount in zip(members, amounts, strict=True):
            if amount:
                rows.append(Transfer((*key, n), debit, (kind, member), amount, unit, code))
                n += 1

    def from_members(self, code, key, kind, members, amounts, credit, unit) -> None:
        """Many transfers from the `kind` accounts of `members` to one system account."""
        rows = self.transfers
        n = 0
        for member, amount in zip(members, amounts, strict=True):
            if amount:
                rows.append(Transfer((*key, n), (kind, member), credit, amount, unit, code))
                n += 1

    def release(self, day: int, amounts: list[int], unit_value: int, currency: str) -> None:
        """The release of `day`: member n gets amounts[n] (u = unit_value x 10**-20)."""
        members = range(len(amounts))
        key = (("day", day), "release")
        self.to_members(
            "daily_release", (*key, 0), RELEASE_POOL, WALLET, members, amounts, currency
        )
        self.from_members(
            "daily_release", (*key, 1), ENERGY, members, amounts, ENERGY_ISSUED, ENERGY_UNIT
        )
        self.members.update(n for n in members if amounts[n])

    def member(self, member: int) -> None:
        self.members.add(member)

    def entry(self, entry, previous: str | None, now: int) -> None:
        """`entry` joined the queue (`previous` None) or changed from status `previous`."""
        self.entries.append(entry)

    def lot(self, lot) -> None:
        self.lots.append(lot)

    def turned_away(self) -> None:
        """A paid order that qualified could not join: the queue was full."""


def balances(transfers) -> dict:
    """Every account's balance from `transfers` alone: what the state's balances must equal."""
    totals: dict = {}
    for t in transfers:
        totals[t.debit, t.unit] = totals.get((t.debit, t.unit), 0) - t.amount
        totals[t.credit, t.unit] = totals.get((t.credit, t.unit), 0) + t.amount
    return totals
