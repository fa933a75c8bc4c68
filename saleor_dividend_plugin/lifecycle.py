"""The order lifecycle (DESIGN §5): the plugin's records of orders brought in line with the
host's view of them, in batches.

`apply_orders` is what every order event ends in. For each snapshot, in order, it compares the
order as the host saw it with what has already been applied and has the rules kernel apply only
the difference: charged and refunded amounts are cumulative, so duplicated, late or reordered
events converge on the same ledger. A batch loads the slice of the channel its orders need in a
few queries, applies the kernel to all of them, and writes the outcome in a few set-based
statements (`channel_slice`).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from .channel_slice import ChannelSlice
from .config import ChannelConfig
from .host import OrderSnapshot, get_host
from .host import OrderStatus as HostStatus
from .kernel import events
from .kernel.rules import from_minor
from .kernel.state import CONFIRMED, PENDING, VOID, Order
from .locks import LockSpace, lock_channel
from .members import members_for
from .models import (
    AccountKind,
    Channel,
    Entry,
    LedgerTransaction,
    OrderEvent,
    OrderRecord,
    OrderStatus,
)
from .money import ZERO, round_down

logger = logging.getLogger(__name__)

# Failures that can succeed later (lock timeouts, serialization failures, dropped connections).
RETRYABLE = (OperationalError, InterfaceError)


def qualifying_amount(snapshot: OrderSnapshot, config: ChannelConfig) -> tuple[Decimal, Decimal]:
    """The amount A that earns rewards, and the part of it spent on gift packages.

    The one place the basis is applied: subtotal_* leaves shipping out, *_gross includes tax.
    """
    basis = config.amount_basis
    amount = {
        "subtotal_gross": snapshot.subtotal_gross,
        "subtotal_net": snapshot.subtotal_net,
        "total_gross": snapshot.total_gross,
        "total_net": snapshot.total_net,
    }[basis]
    gift_types = set(config.gift_package_product_types)
    gross = basis.endswith("_gross")
    gift = sum(
        (
            (line.gross if gross else line.net)
            for line in snapshot.lines
            if line.product_type in gift_types
        ),
        ZERO,
    )
    amount = max(round_down(amount, snapshot.currency), ZERO)
    return amount, min(round_down(gift, snapshot.currency), amount)


def sync_order(snapshot: OrderSnapshot) -> str:
    """Apply whatever of `snapshot` has not been applied yet, now, under the channel lock.
    Returns what happened, for logs. Order events reach it through `queue_event` and `drain`;
    this applies one snapshot directly (commands and tests)."""
    channel, refusal = channel_for(snapshot)
    if channel is None:
        return refusal
    with transaction.atomic():
        lock_channel(channel.pk)
        channel.refresh_from_db()
        return apply_orders(channel, [snapshot])[0]


def channel_for(snapshot: OrderSnapshot) -> tuple[Channel | None, str]:
    """The rewards channel `snapshot` belongs to, or None and why the order is not one of its."""
    channel = Channel.objects.filter(slug=snapshot.channel).first()
    if channel is None:
        return None, "channel not enabled"
    return (None, refusal) if (refusal := _refusal(channel, snapshot)) else (channel, "")


def _refusal(channel: Channel, snapshot: OrderSnapshot | None) -> str:
    """Why `snapshot` is not an order of `channel`'s rewards, or "" when it is."""
    if snapshot is None:
        return "order not found: nothing to do"
    if snapshot.channel != channel.slug:
        return f"order of channel {snapshot.channel}, not {channel.slug}"
    if not snapshot.from_checkout:
        return "not a checkout order"
    if snapshot.currency != channel.currency:
        return f"order currency {snapshot.currency} is not the channel's {channel.currency}"
    return ""


# Order events --------------------------------------------------------------------------------
#
# After the host commits, an order event queues the order id to its channel's pending events and,
# when no drain of the channel has been called for since the last one began, calls one (a Celery
# task): one statement for both (`queue_event`). A burst of events therefore wakes one worker
# instead of sending a task per order. One worker at a time drains a channel (the DRAIN lock,
# tried, never waited for): it answers the call, then under the channel lock reads the host's
# orders of a batch of pending events (one query per kind of row) and applies them in the order
# their events arrived, in one transaction per batch, until none is left. A batch never waits to
# fill: an event that finds no drain called calls one at once. No event is left behind: an event
# queued after the drain answered the call sees no call outstanding and calls again, and a
# drainer looks for pending events again after it gives the drain up, so an event whose drain
# found the lock taken is seen by that drainer or by the next.

# Events applied per transaction: large enough to carry a flash sale's backlog in a few
# transactions, small enough that the channel lock is never held for long (the settlement and
# wallet operations wait for it).
DRAIN_BATCH = 500
ORDER_LOCK_TIMEOUT = "30s"
# A call this old without a drain having begun is taken for lost (a broker that dropped its
# messages on restart): the next event calls again. A drain that is still running when the call
# is repeated only costs the called worker a look at the lock.
CALL_AGAIN_AFTER = "10 seconds"


def queue_event(channel_slug: str, order_id: str) -> tuple[int, int, bool] | None:
    """Queue order `order_id` for the next drain of channel `channel_slug`, and note a drain call
    if none is outstanding, in one statement. Returns (channel id, event id, whether the caller
    is to call the drain), or None when the plugin has no such channel. A channel without a call
    row (one made outside `configure_channel`) calls every time until its first drain makes it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH event AS ("
            "  INSERT INTO dividend_order_event (channel_id, order_id, received_at, error)"
            "  SELECT id, %s, now(), '' FROM dividend_channel WHERE slug = %s"
            "  RETURNING channel_id, id),"
            " called AS ("
            "  UPDATE dividend_order_drain AS call SET called_at = now() FROM event"
            "  WHERE call.channel_id = event.channel_id"
            "  AND (call.called_at IS NULL OR call.called_at < now() - %s::interval)"
            "  RETURNING call.channel_id)"
            " SELECT channel_id, id, EXISTS (SELECT FROM called) OR NOT EXISTS ("
            "  SELECT FROM dividend_order_drain AS call WHERE call.channel_id = event.channel_id)"
            " FROM event",
            [order_id, channel_slug, CALL_AGAIN_AFTER],
        )
        return cursor.fetchone()


def _answer_call(cursor, channel_id: int) -> None:
    """The drain has begun: events queued from now on call the next one. (A channel's row comes
    with it, from `configure_channel` or migration 0009; one made otherwise gets it here.)"""
    cursor.execute(
        "INSERT INTO dividend_order_drain (channel_id, called_at) VALUES (%s, NULL)"
        " ON CONFLICT (channel_id) DO UPDATE SET called_at = NULL"
        " WHERE dividend_order_drain.called_at IS NOT NULL",
        [channel_id],
    )


def record_events(channel: Channel, order_ids: list[str]) -> list[int]:
    """Queue orders of `channel` for its next drain, in one statement; returns the event ids."""
    events = OrderEvent.objects.bulk_create(
        OrderEvent(channel=channel, order_id=order_id) for order_id in order_ids
    )
    return [event.pk for event in events]


# What an outcome says the drain did to an order (the rest say why it did nothing).
CHANGED = {"recorded", "confirmed", "voided", "refunded"}


def changes(outcome: str) -> bool:
    """Whether `outcome` (as `drain` reports it) changed the order's rewards."""
    return any(part in CHANGED for part in outcome.split(", "))


def _pending(channel_id: int) -> bool:
    return OrderEvent.objects.filter(channel_id=channel_id, failed_at__isnull=True).exists()


def drain(channel_id: int, wanted: int | None = None, outcomes: dict | None = None) -> str:
    """Apply the channel's pending events in batches until none is left, unless another worker
    is draining the channel. Returns the outcome of event `wanted` when this drain applied it;
    `outcomes` receives every applied event's, by event id."""
    outcome = None
    # The task's own event has just been committed: the first look for pending ones is not needed.
    look = wanted is None
    while True:
        if look and not _pending(channel_id):
            # Nothing left: answer the call, then look once more. An event queued before the
            # answer found a call outstanding and called nobody, so this look sees it; one
            # queued after it calls the next drain. (A drain that stopped with the call still
            # outstanding would leave the channel's next events waiting for CALL_AGAIN_AFTER.)
            with connection.cursor() as cursor:
                _answer_call(cursor, channel_id)
            if not _pending(channel_id):
                break
        look = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LockSpace.DRAIN, channel_id])
            if not cursor.fetchone()[0]:
                break
            _answer_call(cursor, channel_id)
        try:
            while done := _drain_batches(channel_id):
                outcome = done.get(wanted, outcome)
                if outcomes is not None:
                    outcomes.update(done)
                if len(done) < DRAIN_BATCH:
                    # A short batch took every pending event: those that came in since are
                    # found by the look below, after the drain is given up.
                    break
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LockSpace.DRAIN, channel_id])
    return outcome or "left to the channel's drain"


def _drain_batches(channel_id: int) -> dict[int, str]:
    try:
        return _drain_batch(channel_id, DRAIN_BATCH)
    except RETRYABLE:
        raise
    except Exception:
        # One order the rules cannot apply must not hold up the channel: apply the batch again
        # one event at a time and set aside the one that fails.
        logger.exception("a batch of order events failed; applying them one by one")
        return _drain_batch(channel_id, 1, set_aside=True)


def _drain_batch(channel_id: int, limit: int, set_aside: bool = False) -> dict[int, str]:
    with transaction.atomic():
        lock_channel(channel_id, timeout=ORDER_LOCK_TIMEOUT)
        events = list(
            OrderEvent.objects.filter(channel_id=channel_id, failed_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "order_id")[:limit]
        )
        if not events:
            return {}
        ids = [pk for pk, _ in events]
        channel = Channel.objects.get(pk=channel_id)
        try:
            # Read under the channel lock, so the batch applies the orders as they are now; an
            # order with several events in the batch is read and applied once, at its first.
            found = get_host().load_orders(sorted({order_id for _, order_id in events}))
            refused: dict[str, str] = {}
            snapshots: list[OrderSnapshot] = []
            for _, order_id in events:
                if order_id in refused:
                    continue
                snapshot = found.get(order_id)
                refused[order_id] = _refusal(channel, snapshot)
                if not refused[order_id]:
                    snapshots.append(snapshot)
            # Only an event that is to be set aside needs the batch undone apart from the rest
            # of the transaction; otherwise the whole transaction is rolled back and retried.
            with transaction.atomic(savepoint=set_aside):
                applied = apply_orders(channel, snapshots)
        except RETRYABLE:
            raise
        except Exception as error:
            if not set_aside:
                raise
            logger.exception("order event %s cannot be applied: set aside", ids[0])
            OrderEvent.objects.filter(pk__in=ids).update(
                failed_at=timezone.now(), error=repr(error)[:500]
            )
            return {ids[0]: "failed: set aside"}
        OrderEvent.objects.filter(pk__in=ids).delete()
    by_order = {s.order_id: outcome for s, outcome in zip(snapshots, applied, strict=True)}
    for order_id, outcome in by_order.items():
        logger.info("order %s: %s", order_id, outcome)
    # Every event of an order reports what the batch did to it.
    return {pk: refused[order_id] or by_order[order_id] for pk, order_id in events}


# Applying a batch ----------------------------------------------------------------------------


def apply_orders(channel: Channel, snapshots: list[OrderSnapshot]) -> list[str]:
    """Apply each snapshot in turn (the caller holds the channel lock). Returns the outcomes."""
    return _Batch(channel, snapshots).run()


class _Batch:
    def __init__(self, channel: Channel, snapshots: list[OrderSnapshot]):
        self.channel = channel
        self.config = channel.settings
        self.snapshots = snapshots
        self.slice = ChannelSlice(channel, timezone.now())
        self.records: dict[str, OrderRecord] = {}
        self.orders: dict[str, Order] = {}  # by order id
        self.by_ref: dict[str, OrderRecord] = {}
        self.new: list[OrderRecord] = []
        self.changed: dict[int, OrderRecord] = {}
        self.confirmed_members: set[int] = set()

    def ref(self, order_id: str) -> str:
        return f"ord:{self.channel.pk}:{order_id}"

    def load(self) -> None:
        sl, config, channel = self.slice, self.config, self.channel
        order_ids = {s.order_id for s in self.snapshots}
        known = OrderRecord.objects.filter(channel=channel, order_id__in=order_ids)
        self.records = {r.order_id: r for r in known}
        users = {
            s.user_id
            for s in self.snapshots
            if s.order_id not in self.records and s.user_id is not None and channel.active
        }
        self.members = members_for(channel, users, now=sl.now) if users else {}
        refunding = {s.order_id for s in self.snapshots if s.refunded > 0}
        confirmed = [
            r for r in self.records.values()
            if r.status == OrderStatus.CONFIRMED and r.order_id in refunding
        ]  # fmt: skip
        entry_rows = sl.entry_rows([r.pk for r in confirmed])
        reward_rows = self._reward_rows(confirmed)
        # What the batch could pay out at most: the pool, each order's funding of it, and what
        # refunds could bring back to it from wallets.
        share = config.dividend_ratio
        if config.referral_mode == "queue":
            share += sum(config.referral_ratios, ZERO)
        bound = sl.state.dividend_pool + sl.minor(sum((row[4] for row in entry_rows), ZERO))
        for snapshot in self.snapshots:
            bound += sl.minor(qualifying_amount(snapshot, config)[0] * share) + 1
        head = sl.head_rows(bound)
        refund_members = [self.records[i].member_id for i in refunding if i in self.records]
        refund_members += [
            self.members[s.user_id].pk
            for s in self.snapshots
            if s.order_id in refunding and s.user_id in self.members
        ]
        sl.load_members(
            [r.member_id for r in self.records.values()]
            + [m.pk for m in self.members.values()]
            + [row[2] for row in entry_rows]
            + [row[1] for row in head]
            + [member_id for _, member_id, _ in reward_rows],
            refunding=refund_members,
        )
        sl.load_lots(refund_members)
        entries = sl.place_entries(entry_rows, head)
        rewards: dict[int, list] = {}
        for record_id, member_id, amount in reward_rows:
            rewards.setdefault(record_id, []).append((sl.index[member_id], sl.minor(amount)))
        for record in self.records.values():
            self.orders[record.order_id] = self._order(record, entries, rewards)

    def _order(self, record: OrderRecord, entries, rewards) -> Order:
        sl = self.slice
        member = sl.index[record.member_id] if record.member_id is not None else None
        order = Order(
            self.ref(record.order_id), member, sl.minor(record.amount), sl.minor(record.gift_amount)
        )
        order.status = record.status
        order.points = int(record.points)
        order.energy = sl.minor(record.energy)
        order.refunded = sl.minor(record.refunded)
        order.entry = entries.get(record.pk)
        order.rewards = rewards.get(record.pk, [])
        self.by_ref[order.ref] = record
        return order

    def _reward_rows(self, records) -> list:
        """What confirming each order paid its referrers' wallets, read from its funding
        posting (the chain may have changed since), in the order it was paid."""
        if not records:
            return []
        # The postings by id, then their lines: the lines are a view over the transfers, whose
        # transaction index PostgreSQL uses only for ids it is given; joined to the postings by
        # order, it scanned every transfer of the store once its statistics lagged behind a
        # bulk of new ones (0.4 s per batch at a few million transfers).
        funding = LedgerTransaction.objects.filter(order__in=records, kind="order_funding")
        postings = list(funding.values_list("pk", flat=True))
        if not postings:
            return []
        return list(
            Entry.objects.filter(transaction_id__in=postings, account__kind=AccountKind.WALLET)
            .order_by("pk")
            .values_list("transaction__order_id", "account__member_id", "amount")
        )

    def run(self) -> list[str]:
        self.load()
        outcomes = [self.apply(snapshot) for snapshot in self.snapshots]
        self.write()
        return outcomes

    def apply(self, snapshot: OrderSnapshot) -> str:
        channel, sl = self.channel, self.slice
        state, fx = sl.state, sl.fx
        now, day = sl.now.timestamp(), sl.day.toordinal()
        order = self.orders.get(snapshot.order_id)
        outcome = []
        if order is None:
            if not channel.active:
                return "channel not enabled"
            order = self._create(snapshot)
            outcome.append("recorded")
        record = self.by_ref[order.ref]
        cancelled = snapshot.status in {HostStatus.CANCELLED, HostStatus.EXPIRED}
        if order.status == VOID:
            if snapshot.fully_paid:
                # Void is final (DESIGN §5): the order was cancelled or expired unpaid, so a
                # charge reported afterwards is the store's to refund, not a confirmation.
                logger.warning(
                    "order %s (%s) is void: the charge reported after its cancellation or expiry"
                    " confirms nothing",
                    record.number or record.order_id,
                    record.order_id,
                )
                return "void: a later charge confirms nothing"
        elif order.status == PENDING:
            if snapshot.fully_paid:
                # Payment wins over cancellation (the order may have been paid before it was
                # cancelled); a paused channel confirms it once it is switched on again.
                if channel.active:
                    self._confirm(order, record, snapshot, now, day)
                    outcome.append("confirmed")
            elif cancelled:
                events.void(state, order)
                record.status = OrderStatus.VOID
                record.closed_at = sl.now
                self.changed[id(record)] = record
                outcome.append("voided")
            elif channel.active:
                self._expect(order, record, snapshot)
        if order.status == CONFIRMED:
            member = order.member
            before = state.tier[member] if member is not None else None
            if events.refund(state, order, sl.minor(snapshot.refunded), now, fx):
                record.refunded = from_minor(order.refunded, sl.places)
                self.changed[id(record)] = record
                if member is not None:
                    sl.note_tier(member, before, "refund", record)
                outcome.append("refunded")
        if not outcome and not channel.active:
            return "channel not enabled: nothing to apply"
        return ", ".join(outcome) or "nothing to do"

    def _create(self, snapshot: OrderSnapshot) -> Order:
        sl = self.slice
        member = self.members.get(snapshot.user_id) if snapshot.user_id is not None else None
        record = OrderRecord(
            channel=self.channel,
            order_id=snapshot.order_id,
            number=snapshot.number,
            member=member,
            status=OrderStatus.PENDING,
            created_at=snapshot.created_at,
        )
        self.new.append(record)
        self.records[snapshot.order_id] = record
        n = sl.index[member.pk] if member is not None else None
        order = Order(self.ref(snapshot.order_id), n, 0)
        self.by_ref[order.ref] = record
        self.orders[snapshot.order_id] = order
        self._expect(order, record, snapshot, force=True)
        return order

    def _expect(self, order: Order, record: OrderRecord, snapshot, force=False) -> None:
        """An unpaid order can still be edited: keep its expected rewards in step."""
        sl = self.slice
        amount, gift = qualifying_amount(snapshot, self.config)
        if not force and (amount, gift) == (record.amount, record.gift_amount):
            return
        order.amount, order.gift = sl.minor(amount), sl.minor(gift)
        points, energy = events.earnings(sl.state, order.member, order.amount, order.gift)
        record.amount, record.gift_amount = amount, gift
        record.points, record.energy = Decimal(points), from_minor(energy, sl.places)
        self.changed[id(record)] = record

    def _confirm(self, order: Order, record: OrderRecord, snapshot, now, day) -> None:
        sl = self.slice
        state, fx = sl.state, sl.fx
        amount, gift = qualifying_amount(snapshot, self.config)
        order.amount, order.gift = sl.minor(amount), sl.minor(gift)
        member = order.member
        before = state.tier[member] if member is not None else None
        lots = len(fx.lots)
        events.confirm(state, order, now, day, fx)
        record.amount, record.gift_amount = amount, gift
        record.status = OrderStatus.CONFIRMED
        record.confirmed_at = sl.now
        record.confirmed_day = sl.day
        record.points = Decimal(order.points)
        record.energy = from_minor(order.energy, sl.places)
        self.changed[id(record)] = record
        sl.confirmations.append((f"{order.ref}:funding", "order_funding", record))
        if member is not None:
            sl.confirmations.append((f"{order.ref}:earn", "order_rewards", record))
        if order.entry is not None:
            sl.new_entry_orders[id(order.entry)] = record
        for lot in fx.lots[lots:]:
            if id(lot) not in sl.lot_ids:
                sl.new_lot_orders[id(lot)] = record
        if member is not None:
            self.confirmed_members.add(member)
            sl.note_tier(member, before, "gift_package" if gift > 0 else "contribution", record)

    def write(self) -> None:
        sl = self.slice
        if self.new:
            OrderRecord.objects.bulk_create(self.new)
        new = {id(r) for r in self.new}
        changed = [r for key, r in self.changed.items() if key not in new]
        if changed:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE dividend_order o SET status = c.status, amount = c.amount,"
                    " gift_amount = c.gift, points = c.points, energy = c.energy,"
                    " refunded = c.refunded, confirmed_at = c.confirmed_at,"
                    " confirmed_day = c.confirmed_day, closed_at = c.closed_at"
                    " FROM unnest(%s::bigint[], %s::varchar[], %s::numeric[], %s::numeric[],"
                    "  %s::numeric[], %s::numeric[], %s::numeric[], %s::timestamptz[],"
                    "  %s::date[], %s::timestamptz[])"
                    " AS c(id, status, amount, gift, points, energy, refunded, confirmed_at,"
                    "      confirmed_day, closed_at)"
                    " WHERE o.id = c.id",
                    [
                        [r.pk for r in changed],
                        [r.status for r in changed],
                        [r.amount for r in changed],
                        [r.gift_amount for r in changed],
                        [r.points for r in changed],
                        [r.energy for r in changed],
                        [r.refunded for r in changed],
                        [r.confirmed_at for r in changed],
                        [r.confirmed_day for r in changed],
                        [r.closed_at for r in changed],
                    ],
                )
        sl.write_postings(self.by_ref, sl.day)
        sl.write_queue()
        sl.write_lots()
        sl.write_members(self.confirmed_members)
