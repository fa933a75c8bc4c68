"""The database shell around the rules kernel: the slice of a channel that a unit of work needs,
loaded into a `kernel.state.ChannelState` in a few set-based queries, and what the kernel did,
written back in a few set-based statements.

A slice holds the channel's system balances, the members involved with their referrers, and the
head of the free-order queue: enough entries that no payout of the unit can reach past them (see
`load_queue_head`). Members are numbered as the kernel numbers them; `member_ids[n]` is member n's
database id. Everything runs under the channel lock, inside the caller's transaction.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from .kernel import movements as mv
from .kernel.movements import Effects
from .kernel.rules import from_minor, to_minor
from .kernel.state import NEVER, WAITING, ChannelState, Entry
from .ledger import Accounts, kernel_balance
from .models import (
    Account,
    AccountKind,
    Channel,
    Member,
    OrderRecord,
    OrderStatus,
    PointLot,
    PointValue,
    QueueEntry,
    TierChange,
    queue_tally,
)
from .money import CONTRIBUTION, ENERGY, POINTS, minor_units

# The kernel's units as the ledger names them; money is in the channel's currency.
_LEDGER_UNITS = {mv.PTS: POINTS, mv.ENERGY_UNIT: ENERGY, mv.CONTRIB: CONTRIBUTION}
# Postings about one member's own order carry that member (the account history lists them).
_MEMBER_CODES = {"order_funding", "order_rewards", "order_reversal", "queue_clawback"}


def _ordinal(day: datetime.date | None) -> int:
    return NEVER if day is None else day.toordinal()


def _date(ordinal: int) -> datetime.date | None:
    return None if ordinal >= NEVER else datetime.date.fromordinal(ordinal)


class ChannelSlice:
    def __init__(self, channel: Channel, now: datetime.datetime):
        self.channel = channel
        self.config = config = channel.settings
        self.currency = channel.currency
        self.places = minor_units(channel.currency)
        self.now = now
        self.day = now.astimezone(config.tz).date()
        self.state = ChannelState(config, channel.currency, keep_lots=True)
        self.fx = Effects()
        self.accounts = Accounts(channel)
        self.member_ids: list[int] = []
        self.index: dict[int, int] = {}  # member id -> number
        self.members: dict[int, Member] = {}
        self.account_ids: dict[tuple[int, str], int] = {}  # (member id, kind) -> account id
        self.entry_ids: dict[int, int] = {}  # id(kernel entry) -> queue entry id
        self.entry_closed: dict[int, datetime.datetime | None] = {}
        self.lot_ids: dict[int, int] = {}  # id(kernel lot) -> point lot id
        self.new_lot_orders: dict = {}  # id(new lot) -> order record
        self.new_entry_orders: dict = {}  # id(new entry) -> order record
        self.tier_changes: list[TierChange] = []
        self.confirmations: list[tuple[str, str, OrderRecord]] = []  # (key, code, record)
        self.open_entries: dict[int, int] = {}  # member number -> waiting entries in the queue
        # A member's request (a redemption, a correction): the kernel's ref -> its ledger key,
        # member id and memo. The caller's key is the posting's key, as the API promises.
        self.requests: dict[str, tuple[str, int, str]] = {}
        self._system_balances()

    @classmethod
    def for_member(cls, member: Member, *, points: bool = False) -> ChannelSlice:
        """The slice a request of one member needs: their balances, and with `points` their
        point lots and where the point value stands. Under the channel lock."""
        found = cls(member.channel, timezone.now())
        found.load_members([member.pk])
        if points:
            found.load_lots([member.pk])
            found.load_point_value()
        return found

    # Amounts --------------------------------------------------------------------------------

    def minor(self, amount: Decimal) -> int:
        return to_minor(amount, self.places)

    def decimal(self, amount: int, unit: str) -> Decimal:
        return Decimal(amount) if unit == mv.PTS else from_minor(amount, self.places)

    # Loading --------------------------------------------------------------------------------

    def _system_balances(self) -> None:
        state, currency = self.state, self.channel.currency
        for account in Account.objects.filter(channel=self.channel, member__isnull=True):
            held = kernel_balance(account.kind, account.unit, account.balance, currency)
            if held is not None:
                self.accounts._system[(account.kind, account.unit)] = account
                setattr(state, *held)

    def load_members(self, member_ids, refunding=()) -> None:
        """These members and their referrers (three levels) into the state, with their balances
        and open queue entries, and for the `refunding` ones their live gift-package orders
        (only a refund looks at them)."""
        todo = {m for m in member_ids if m is not None and m not in self.index}
        loaded: dict[int, Member] = {}
        for _ in range(4):
            todo -= loaded.keys()
            todo -= self.index.keys()
            if not todo:
                break
            rows = Member.objects.filter(pk__in=todo)
            loaded.update((m.pk, m) for m in rows)
            todo = {m.referrer_id for m in rows if m.referrer_id}
        if not loaded:
            return
        ids = list(loaded)
        balances: dict[int, dict[str, Decimal]] = defaultdict(dict)
        for account_id, member_id, kind, balance in Account.objects.filter(
            member_id__in=ids
        ).values_list("id", "member_id", "kind", "balance"):
            balances[member_id][kind] = balance
            self.account_ids[(member_id, kind)] = account_id
        open_entries = dict(
            QueueEntry.objects.filter(member_id__in=ids, status=WAITING)
            .order_by()
            .values("member_id")
            .annotate(n=Count("pk"))
            .values_list("member_id", "n")
        )
        live_gifts = dict(
            OrderRecord.objects.filter(
                member_id__in=[m for m in refunding if m in loaded],
                status=OrderStatus.CONFIRMED,
                gift_amount__gt=0,
                refunded__lt=F("amount"),
            )
            .order_by()
            .values("member_id")
            .annotate(n=Count("pk"))
            .values_list("member_id", "n")
        )
        state, config = self.state, self.config
        # Referrers first would not help: a referrer may itself be referred. Numbers first, then
        # the referral links between them.
        for member_id in sorted(ids):
            member = loaded[member_id]
            held = balances[member_id]
            n = state.add_member(
                points=int(held[AccountKind.POINTS]),
                energy=self.minor(held[AccountKind.ENERGY]),
                contribution=self.minor(held[AccountKind.CONTRIBUTION]),
                wallet=self.minor(held[AccountKind.WALLET]),
                granted=config.tier_rank(member.granted_tier_code or None),
                confirmed=member.first_confirmed_at is not None,
                live_gift_orders=live_gifts.get(member_id, 0),
            )
            state.open_entries[n] = self.open_entries[n] = open_entries.get(member_id, 0)
            self.index[member_id] = n
            self.member_ids.append(member_id)
            self.members[member_id] = member
        for member_id in ids:
            referrer = loaded[member_id].referrer_id
            if referrer is not None and referrer in self.index:
                state.referrer[self.index[member_id]] = self.index[referrer]

    def load_lots(self, member_ids) -> None:
        """The unspent point lots of these (loaded) members, soonest-expiring first, in the
        order the points are spent (never-expiring lots last, then earliest earned)."""
        ids = [m for m in set(member_ids) if m is not None]
        if not ids:
            return
        lots = PointLot.objects.filter(member_id__in=ids, remaining__gt=0).order_by(
            F("expires_on").asc(nulls_last=True), "earned_day", "pk"
        )
        state = self.state
        for lot_id, member_id, expires_on, remaining in lots.values_list(
            "id", "member_id", "expires_on", "remaining"
        ):
            lot = state.add_lot(self.index[member_id], int(remaining), _ordinal(expires_on))
            self.lot_ids[id(lot)] = lot_id

    def load_point_value(self) -> None:
        """Where the rate schedule stands: the latest appreciation (backed mode ignores it)."""
        latest = (
            PointValue.objects.filter(channel=self.channel)
            .order_by("-day")
            .values_list("day", "scheduled_value")
            .first()
        )
        if latest is not None:
            self.state.valued_day = latest[0].toordinal()
            self.state.scheduled_value = latest[1]

    def request(self, key: str, member_id: int | None, memo: str, ref=None):
        """Post what the kernel moves under `ref` (a member's request, or a day's step) with the
        ledger key `key`, for `member_id`, with `memo`. Returns the ref to give the kernel (a
        new one unless `ref` names the kernel's own)."""
        ref = f"request{len(self.requests)}" if ref is None else ref
        self.requests[ref] = (key, member_id, memo[:255])
        return ref

    def _entry(self, row) -> Entry:
        entry_id, member_id, target, received, original, status, created, expires, closed = row
        entry = Entry(
            entry_id,
            self.index[member_id],
            self.minor(target),
            created.timestamp(),
            expires.timestamp() if expires else None,
            received=self.minor(received),
            status=status,
        )
        entry.original = self.minor(original)
        self.entry_ids[id(entry)] = entry_id
        self.entry_closed[id(entry)] = closed
        return entry

    _ENTRY_COLUMNS = (
        "id, member_id, target, received, original_target, status, created_at, expires_at,"
        " closed_at"
    )

    def entry_rows(self, record_ids) -> list:
        """The queue entries of these orders (their members are loaded next)."""
        if not record_ids:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT order_id, {self._ENTRY_COLUMNS} FROM dividend_queue_entry"
                " WHERE order_id = ANY(%s)",
                [list(record_ids)],
            )
            return cursor.fetchall()

    def head_rows(self, bound: int) -> list:
        """Waiting entries from the head, until those that do not expire by now are owed more
        than `bound` (what the unit could pay out at most), then `even_k` more that do not
        expire by now: no payout of the unit can reach an entry behind them, so new entries can
        join after them. Entries past their lifetime are read wherever they stand (an entry
        that joined under a shorter lifetime can expire before older ones), and the kernel
        expires them."""
        now = self.now
        owed, last_seq, size = 0, 0, 4
        # Even mode pays the first even_k waiting entries: once the bound is reached, read on
        # until that many (and one more) that stay waiting stand behind it.
        behind, wanted = None, self.config.even_k + 1
        rows: list = []
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT seq, {self._ENTRY_COLUMNS} FROM dividend_queue_entry"
                    " WHERE channel_id = %s AND status = 'waiting' AND seq > %s"
                    " ORDER BY seq LIMIT %s",
                    [self.channel.pk, last_seq, size],
                )
                batch = cursor.fetchall()
            rows += batch
            for row in batch:
                expires = row[8]
                if expires is not None and expires <= now:
                    continue
                if behind is not None:
                    behind += 1
                else:
                    owed += self.minor(row[3] - row[4])
                    if owed > bound:
                        behind = 0
            if len(batch) < size or (behind is not None and behind >= wanted):
                break
            last_seq = batch[-1][0]
            # A funding usually reaches one or two entries; a long quiet spell, many.
            size = min(size * 4, 256) if behind is None else max(wanted - behind, 4)
        return [row[1:] for row in rows]

    def place_entries(self, entry_rows, head) -> dict[int, Entry]:
        """The entries of `entry_rows` (by order record id) and the queue's head, each once; the
        head in queue order. Their members must be loaded."""
        entries = {row[0]: self._entry(row[1:]) for row in entry_rows}
        by_id = {self.entry_ids[id(e)]: e for e in entries.values()}
        state = self.state
        for row in head:
            state.add_entry(by_id.get(row[0]) or self._entry(row))
        # The counts are the whole queue's, not only the head's (adding an entry counted it).
        for n, count in self.open_entries.items():
            state.open_entries[n] = count
        tally = queue_tally(self.channel)
        state.waiting = tally.waiting
        state.waiting_remaining = self.minor(tally.remaining)
        return entries

    # Writing --------------------------------------------------------------------------------

    def account_id(self, account) -> int:
        if isinstance(account, tuple):
            kind, member = account
            return self.account_ids[(self.member_ids[member], kind)]
        if account == mv.WRITE_OFF_POINTS:
            return self.accounts.write_off(POINTS).pk
        return self.accounts.system(account).pk

    def write_postings(self, orders: dict, day: datetime.date) -> dict[str, int]:
        """Every transfer the kernel made, in the ledger: a posting per idempotency key (the
        transfer's key less its leg number, or a request's own key) and one row per transfer,
        those between the same two accounts of a posting merged (a payout to a member's two
        queue entries is one movement). `orders` maps an order's ref to its record (the
        posting's order and member). Returns the transactions' ids by key."""
        transfers = self.fx.transfers
        postings: dict[str, dict] = {}
        for t in transfers:
            request = self.requests.get(t.key[0])
            if request is not None:
                key = request[0]
            else:
                key = ":".join(str(part) for part in t.key[:-1])
            posting = postings.get(key)
            if posting is None:
                record = orders.get(t.key[0])
                member_id = None
                if record is not None and t.code in _MEMBER_CODES:
                    member_id = record.member_id
                posting = postings[key] = {
                    "kind": t.code,
                    "order": record.pk if record is not None else None,
                    "member": request[1] if request is not None else member_id,
                    "memo": request[2] if request is not None else "",
                    "moved": defaultdict(Decimal),
                }
            unit = _LEDGER_UNITS.get(t.unit, self.currency)
            pair = (self.account_id(t.debit), self.account_id(t.credit), unit)
            posting["moved"][pair] += self.decimal(t.amount, t.unit)
        # A confirmation is posted even when every amount rounds to zero (an order of a cent):
        # the audit finds each confirmed order's funding and rewards exactly once.
        for key, code, record in self.confirmations:
            if key not in postings:
                postings[key] = {
                    "kind": code,
                    "order": record.pk,
                    "member": record.member_id if code in _MEMBER_CODES else None,
                    "memo": "",
                    "moved": {},
                }
        if not postings:
            return {}
        keys = list(postings)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO dividend_transaction"
                " (channel_id, key, kind, day, order_id, member_id, memo, created_at)"
                " SELECT %s, p.key, p.kind, %s, p.order_id, p.member_id, p.memo, %s"
                " FROM unnest(%s::varchar[], %s::varchar[], %s::bigint[], %s::bigint[],"
                "             %s::varchar[]) AS p(key, kind, order_id, member_id, memo)"
                " ON CONFLICT (key) DO NOTHING RETURNING id, key",
                [
                    self.channel.pk,
                    day,
                    self.now,
                    keys,
                    [postings[k]["kind"] for k in keys],
                    [postings[k]["order"] for k in keys],
                    [postings[k]["member"] for k in keys],
                    [postings[k]["memo"] for k in keys],
                ],
            )
            ids = dict((key, pk) for pk, key in cursor.fetchall())
            if len(ids) != len(keys):
                # The state said these had not happened; the ledger says they had.
                posted = sorted(set(keys) - ids.keys())[:3]
                raise RuntimeError(f"postings already made: {posted}")
            txn, debit, credit, unit, amount = [], [], [], [], []
            for key in keys:
                for (debit_id, credit_id, moved_unit), moved in postings[key]["moved"].items():
                    if moved:
                        txn.append(ids[key])
                        debit.append(debit_id)
                        credit.append(credit_id)
                        unit.append(moved_unit)
                        amount.append(moved)
            cursor.execute(
                "INSERT INTO dividend_transfer"
                " (transaction_id, debit_account_id, credit_account_id, unit, amount)"
                " SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::varchar[],"
                " %s::numeric[])",
                [txn, debit, credit, unit, amount],
            )
        return ids

    def write_queue(self) -> None:
        """New entries in the order they joined (their seq is the queue's order), changed ones
        with their new figures."""
        seen: dict[int, Entry] = {}
        for entry in self.fx.entries:
            seen[id(entry)] = entry
        new = [e for k, e in seen.items() if k not in self.entry_ids]
        changed = [e for k, e in seen.items() if k in self.entry_ids]
        now = self.now
        with connection.cursor() as cursor:
            if new:
                cursor.execute(
                    "SELECT nextval('dividend_queue_seq') FROM generate_series(1, %s)", [len(new)]
                )
                seqs = sorted(row[0] for row in cursor.fetchall())
                cursor.execute(
                    "INSERT INTO dividend_queue_entry (channel_id, order_id, member_id, seq,"
                    " original_target, target, received, status, created_at, expires_at,"
                    " closed_at)"
                    " SELECT %s, e.order_id, e.member_id, e.seq, e.original, e.target,"
                    "        e.received, e.status, %s, e.expires_at, e.closed_at"
                    " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::numeric[],"
                    "             %s::numeric[], %s::numeric[], %s::varchar[],"
                    "             %s::timestamptz[], %s::timestamptz[])"
                    "   AS e(order_id, member_id, seq, original, target, received, status,"
                    "        expires_at, closed_at)",
                    [
                        self.channel.pk,
                        now,
                        [self.new_entry_orders[id(e)].pk for e in new],
                        [self.member_ids[e.member] for e in new],
                        seqs,
                        [self.decimal(e.original, "") for e in new],
                        [self.decimal(e.target, "") for e in new],
                        [self.decimal(e.received, "") for e in new],
                        [e.status for e in new],
                        [
                            now + datetime.timedelta(seconds=e.expires - e.created)
                            if e.expires is not None
                            else None
                            for e in new
                        ],
                        [now if e.status != WAITING else None for e in new],
                    ],
                )
            if changed:
                cursor.execute(
                    "UPDATE dividend_queue_entry q SET target = c.target, received = c.received,"
                    " status = c.status, closed_at = c.closed_at"
                    " FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::varchar[],"
                    "             %s::timestamptz[]) AS c(id, target, received, status, closed_at)"
                    " WHERE q.id = c.id",
                    [
                        [self.entry_ids[id(e)] for e in changed],
                        [self.decimal(e.target, "") for e in changed],
                        [self.decimal(e.received, "") for e in changed],
                        [e.status for e in changed],
                        [
                            self.entry_closed[id(e)] or (now if e.status != WAITING else None)
                            for e in changed
                        ],
                    ],
                )

    def write_lots(self) -> None:
        seen: dict[int, list] = {}
        for lot in self.fx.lots:
            seen[id(lot)] = lot
        new = [lot for k, lot in seen.items() if k not in self.lot_ids]
        changed = [lot for k, lot in seen.items() if k in self.lot_ids]
        if new:
            PointLot.objects.bulk_create(
                [
                    PointLot(
                        channel_id=self.channel.pk,
                        member_id=self.member_ids[member],
                        order=self.new_lot_orders.get(id(lot)),
                        earned_day=self.day,
                        expires_on=_date(expires_on),
                        points=Decimal(remaining),
                        remaining=Decimal(remaining),
                    )
                    for lot in new
                    for expires_on, member, remaining in [lot]
                ]
            )
        if changed:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE dividend_point_lot l SET remaining = c.remaining"
                    " FROM unnest(%s::bigint[], %s::numeric[]) AS c(id, remaining)"
                    " WHERE l.id = c.id",
                    [[self.lot_ids[id(lot)] for lot in changed], [lot[2] for lot in changed]],
                )

    def write_members(self, confirmed_now: set[int]) -> None:
        """Tiers, grants and first confirmations of the members whose rows changed."""
        state, tiers = self.state, self.config.tiers
        rows = []
        for n in self.fx.members | confirmed_now:
            member = self.members[self.member_ids[n]]
            tier = tiers[state.tier[n]].code
            granted = tiers[state.granted[n]].code if state.granted[n] >= 0 else ""
            first = member.first_confirmed_at
            if n in confirmed_now and first is None:
                first = self.now
            if (tier, granted, first) != (
                member.tier_code,
                member.granted_tier_code,
                member.first_confirmed_at,
            ):
                member.tier_code, member.granted_tier_code = tier, granted
                member.first_confirmed_at = first
                rows.append(member)
        if rows:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE dividend_member m SET tier_code = c.tier, granted_tier_code ="
                    " c.granted, first_confirmed_at = c.first"
                    " FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::timestamptz[])"
                    "   AS c(id, tier, granted, first) WHERE m.id = c.id",
                    [
                        [m.pk for m in rows],
                        [m.tier_code for m in rows],
                        [m.granted_tier_code for m in rows],
                        [m.first_confirmed_at for m in rows],
                    ],
                )
        if self.tier_changes:
            TierChange.objects.bulk_create(self.tier_changes)

    def note_tier(self, n: int, before: int, reason: str, record: OrderRecord) -> None:
        """Record a tier change of member n caused by `record`'s event."""
        after = self.state.tier[n]
        if after != before:
            tiers = self.config.tiers
            self.tier_changes.append(
                TierChange(
                    member_id=self.member_ids[n],
                    previous=tiers[before].code,
                    tier=tiers[after].code,
                    reason=reason,
                    order=record,
                    created_at=self.now,
                )
            )
