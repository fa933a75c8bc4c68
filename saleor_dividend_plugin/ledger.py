"""Postings by hand (`post`) and the channel's accounts. The ledger keeps one row per movement, a
transfer from a debit account to a credit account (models.Transfer)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from .kernel import movements as mv
from .kernel.rules import to_minor
from .kernel.state import SYSTEM_BALANCES
from .models import (
    MEMBER_KINDS,
    SOURCE_KINDS,
    Account,
    AccountKind,
    Channel,
    LedgerTransaction,
    Member,
)
from .money import CONTRIBUTION, ENERGY, POINTS, minor_units

MEMBER_UNITS = {
    AccountKind.POINTS: POINTS,
    AccountKind.ENERGY: ENERGY,
    AccountKind.CONTRIBUTION: CONTRIBUTION,
}
SYSTEM_UNITS = {
    AccountKind.POINTS_ISSUED: POINTS,
    AccountKind.ENERGY_ISSUED: ENERGY,
    AccountKind.CONTRIBUTION_ISSUED: CONTRIBUTION,
}


class UnbalancedPosting(ValueError):
    pass


def unit_of(kind: str, channel: Channel) -> str:
    return MEMBER_UNITS.get(kind) or SYSTEM_UNITS.get(kind) or channel.currency


def kernel_balance(kind: str, unit: str, balance: Decimal, currency: str) -> tuple[str, int] | None:
    """Where the rules kernel keeps the balance of the system account of `kind` in `unit` (its
    `ChannelState` attribute, kernel.state.SYSTEM_BALANCES) and the balance as the kernel counts
    it (points whole, the rest in the currency's minor unit). Each kind counts in its own unit,
    and the write-off of points apart; None for any other unit (the kernel keeps no such
    balance)."""
    if kind == AccountKind.WRITE_OFF and unit == POINTS:
        name = mv.WRITE_OFF_POINTS
    elif unit == (SYSTEM_UNITS.get(kind) or currency):
        name = kind
    else:
        return None
    amount = int(balance) if unit == POINTS else to_minor(balance, minor_units(currency))
    return SYSTEM_BALANCES[name], amount


def channel_day(channel: Channel, when: datetime.datetime | None = None) -> datetime.date:
    """The channel's business day (its configured timezone) at `when`."""
    return (when or timezone.now()).astimezone(channel.settings.tz).date()


class Accounts:
    """The accounts of one channel, loaded once per unit of work."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self._system: dict[tuple[str, str], Account] = {}
        self._member: dict[tuple[int, str], Account] = {}

    def system(self, kind: str, unit: str | None = None) -> Account:
        unit = unit or unit_of(kind, self.channel)
        if not self._system:
            for account in Account.objects.filter(channel=self.channel, member__isnull=True):
                self._system[(account.kind, account.unit)] = account
        account = self._system.get((kind, unit))
        if account is None:
            account, _ = Account.objects.get_or_create(
                channel=self.channel,
                member=None,
                kind=kind,
                unit=unit,
                defaults={"may_go_negative": kind in SOURCE_KINDS},
            )
            self._system[(kind, unit)] = account
        return account

    def write_off(self, unit: str) -> Account:
        return self.system(AccountKind.WRITE_OFF, unit)

    def member(self, member: Member | int, kind: str) -> Account:
        member_id = getattr(member, "pk", member)
        key = (member_id, kind)
        if key not in self._member:
            for account in Account.objects.filter(member_id=member_id):
                self._member[(member_id, account.kind)] = account
        return self._member[key]

    def load_members(self, member_ids: Iterable[int]) -> None:
        wanted = [m for m in set(member_ids) if (m, AccountKind.WALLET) not in self._member]
        for account in Account.objects.filter(member_id__in=wanted):
            self._member[(account.member_id, account.kind)] = account


def open_member_accounts(channel: Channel, members: Iterable[Member]) -> None:
    """Each member's accounts in `channel`, at zero, in one statement."""
    Account.objects.bulk_create(
        [
            Account(channel=channel, member=member, kind=kind, unit=unit_of(kind, channel))
            for member in members
            for kind in sorted(MEMBER_KINDS)
        ]
    )


def post(
    channel: Channel,
    key: str,
    kind: str,
    legs: Iterable[tuple[Account, Decimal]],
    *,
    day: datetime.date,
    order=None,
    member: Member | None = None,
    memo: str = "",
    savepoint: bool = True,
) -> LedgerTransaction | None:
    """Post a balanced transaction once. Returns None when `key` was posted before (a replay).

    Legs with a zero amount are dropped; legs on the same account are merged; the legs are
    written as transfers (`transfers_from_legs`). The database keeps the materialized balances
    and refuses a member balance below zero.
    `savepoint=False` suits callers whose whole unit of work fails with the posting anyway.
    """
    merged: dict[int, list] = {}
    for account, amount in legs:
        amount = Decimal(amount)
        if amount == 0:
            continue
        slot = merged.setdefault(account.pk, [account, Decimal(0)])
        slot[1] += amount
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for account, amount in merged.values():
        totals[account.unit] += amount
    off = {unit: total for unit, total in totals.items() if total != 0}
    if off:
        raise UnbalancedPosting(f"posting {key!r} does not balance: {off}")
    entries = [(account, amount) for account, amount in merged.values() if amount != 0]
    transfers = transfers_from_legs([(a.pk, a.unit, amount) for a, amount in entries])
    columns = [list(column) for column in zip(*transfers, strict=True)] or [[], [], [], []]
    # The transaction and its transfers in one statement: one round trip, and the transfers are
    # written only when the key is new.
    with transaction.atomic(savepoint=savepoint), connection.cursor() as cursor:
        cursor.execute(
            "WITH txn AS (INSERT INTO dividend_transaction"
            " (channel_id, key, kind, day, order_id, member_id, memo, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (key) DO NOTHING RETURNING id),"
            " moved AS (INSERT INTO dividend_transfer"
            " (transaction_id, debit_account_id, credit_account_id, unit, amount)"
            " SELECT txn.id, t.debit, t.credit, t.unit, t.amount FROM txn,"
            " unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::numeric[])"
            " AS t(debit, credit, unit, amount))"
            " SELECT id FROM txn",
            [
                channel.pk,
                key,
                kind,
                day,
                getattr(order, "pk", None),
                getattr(member, "pk", None),
                memo[:255],
                timezone.now(),
                *columns,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    for account, amount in entries:
        account.balance += amount
        if amount > 0:
            account.total_in += amount
        else:
            account.total_out -= amount
    return LedgerTransaction(
        pk=row[0], channel=channel, key=key, kind=kind, day=day, order=order, member=member
    )


Leg = tuple[int, str, Decimal]


def transfers_from_legs(legs: list[Leg]) -> list[tuple[int, int, str, Decimal]]:
    """Balanced legs `(account, unit, amount)` (debits negative) as transfers `(debit account,
    credit account, unit, amount)`: per unit, the debits and the credits laid end to end in the
    legs' order, each overlap of a debit with a credit one transfer. One debit and n credits give
    n transfers. The data migration to transfers (sql/transfers.sql) splits the old legs the same
    way."""
    transfers = []
    for unit in dict.fromkeys(unit for _, unit, _ in legs):
        debits = [[account, -amount] for account, u, amount in legs if u == unit and amount < 0]
        credits = [[account, amount] for account, u, amount in legs if u == unit and amount > 0]
        d = c = 0
        while d < len(debits) and c < len(credits):
            amount = min(debits[d][1], credits[c][1])
            transfers.append((debits[d][0], credits[c][0], unit, amount))
            debits[d][1] -= amount
            credits[c][1] -= amount
            d += debits[d][1] == 0
            c += credits[c][1] == 0
    return transfers


def already_posted(key: str) -> bool:
    return LedgerTransaction.objects.filter(key=key).exists()
