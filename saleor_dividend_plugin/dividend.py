"""Order dividend (DESIGN §6): the free-order queue and the dividend pool that pays it.

Every function here runs inside the caller's transaction, under the channel lock.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from .config import ChannelConfig
from .ledger import Accounts, post
from .models import AccountKind, Entry, OrderRecord, QueueEntry, QueueStatus
from .money import ZERO, round_down

# The queries below run on every confirmation, under the channel lock that serializes a channel's
# confirmations, so they are plain SQL: the ORM's per-query overhead would be most of their cost.
_EXPIRE = (
    "UPDATE dividend_queue_entry SET status = 'expired', closed_at = %s"
    " WHERE channel_id = %s AND status = 'waiting' AND expires_at <= %s"
)
_WAITING = (
    "SELECT id, member_id, seq, target - received FROM dividend_queue_entry"
    " WHERE channel_id = %s AND status = 'waiting' AND seq > %s ORDER BY seq LIMIT %s"
)
_PAY = (
    "UPDATE dividend_queue_entry q SET received = q.received + p.pay,"
    " status = CASE WHEN q.received + p.pay = q.target THEN 'freed' ELSE q.status END,"
    " closed_at = CASE WHEN q.received + p.pay = q.target THEN %s END"
    " FROM unnest(%s::bigint[], %s::numeric[]) AS p(id, pay) WHERE q.id = p.id"
)
# The entry takes its place in the queue as it is written: one round trip.
_JOIN = (
    "INSERT INTO dividend_queue_entry (channel_id, order_id, member_id, seq, original_target,"
    " target, received, status, created_at, expires_at)"
    " VALUES (%s, %s, %s, nextval('dividend_queue_seq'), %s, %s, 0, %s, %s, %s) RETURNING id, seq"
)
_LENGTH = (
    "SELECT count(*), count(*) FILTER (WHERE member_id = %s) FROM dividend_queue_entry"
    " WHERE channel_id = %s AND status = 'waiting'"
)


def _fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def expire_entries(channel, now=None) -> int:
    """Waiting entries past their lifetime leave the queue unpaid (what they received stays)."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_EXPIRE, [now, channel.pk, now])
        return cursor.rowcount


def pay_queue(accounts: Accounts, config: ChannelConfig, key: str, day, order=None) -> Decimal:
    """Pay waiting entries from the whole dividend pool balance; what is left stays there."""
    channel = accounts.channel
    # Expire first, whatever the pool holds: expired entries must neither be paid nor count
    # towards the queue limits the confirmed order is checked against next.
    expire_entries(channel)
    pool = accounts.system(AccountKind.DIVIDEND_POOL)
    available = pool.balance
    if available <= 0:
        return ZERO
    payouts: list[tuple[int, int, Decimal]] = []  # entry, member, amount
    if config.payout_mode == "fifo":
        # Head first, in full. A funding usually reaches one or two entries, so batches start
        # small and grow only when the pool covers many (after a long quiet spell).
        last_seq, size = 0, 4
        while available > 0:
            batch = _fetch(_WAITING, [channel.pk, last_seq, size])
            if not batch:
                break
            for entry_id, member_id, _, remaining in batch:
                pay = min(remaining, available)
                payouts.append((entry_id, member_id, pay))
                available -= pay
                if available == 0:
                    break
            last_seq, size = batch[-1][2], min(size * 4, 256)
    else:
        head = _fetch(_WAITING, [channel.pk, 0, config.even_k])
        if head:
            share = round_down(available / len(head), channel.currency)
            for entry_id, member_id, _, remaining in head:
                pay = min(remaining, share)
                if pay > 0:
                    payouts.append((entry_id, member_id, pay))
    if not payouts:
        return ZERO
    accounts.load_members(member_id for _, member_id, _ in payouts)
    total = sum((pay for _, _, pay in payouts), ZERO)
    legs = [(pool, -total)]
    legs += [(accounts.member(m, AccountKind.WALLET), pay) for _, m, pay in payouts]
    if post(channel, key, "queue_payout", legs, day=day, order=order) is None:
        return ZERO
    # An entry whose received amount reaches its target is freed and leaves the queue.
    with connection.cursor() as cursor:
        cursor.execute(
            _PAY, [timezone.now(), [e for e, _, _ in payouts], [p for _, _, p in payouts]]
        )
    return total


def qualifies_for_queue(config: ChannelConfig, record: OrderRecord) -> bool:
    if not config.dividend_enabled or record.member_id is None:
        return False
    if record.amount <= 0 or record.amount < config.queue_min_amount:
        return False
    [(length, mine)] = _fetch(_LENGTH, [record.member_id, record.channel_id])
    return length < config.queue_max_length and mine < config.queue_max_entries_per_member


def join_queue(config: ChannelConfig, record: OrderRecord) -> QueueEntry | None:
    if not qualifies_for_queue(config, record):
        return None
    target = round_down(
        config.free_ratio * min(record.amount, config.queue_max_amount), record.channel.currency
    )
    if target <= 0:
        return None
    now = timezone.now()
    ttl = config.queue_ttl_days
    entry = QueueEntry(
        channel_id=record.channel_id,
        order=record,
        member_id=record.member_id,
        original_target=target,
        target=target,
        status=QueueStatus.WAITING,
        created_at=now,
        expires_at=now + datetime.timedelta(days=ttl) if ttl else None,
    )
    with connection.cursor() as cursor:
        cursor.execute(_JOIN, [
            entry.channel_id, record.pk, entry.member_id, target, target, entry.status, now,
            entry.expires_at,
        ])  # fmt: skip
        entry.pk, entry.seq = cursor.fetchone()
    entry._state.adding, entry._state.db = False, connection.alias
    return entry


def shrink_entry(accounts: Accounts, record: OrderRecord, remaining_share: Decimal, key, day):
    """After a refund the entry's target becomes original × remaining share; whatever the entry
    received above it is taken back from the wallet. Only what the wallet gives back returns to
    the pool: the rest was spent, so the pool must not pay it out again. That shortfall is
    written off against the platform, as in the referral clawback (DESIGN §11 rule 8)."""
    entry = QueueEntry.objects.filter(order=record).first()
    if entry is None:
        return
    channel = accounts.channel
    target = round_down(entry.original_target * remaining_share, channel.currency)
    if target >= entry.target:
        return
    excess = max(entry.received - target, ZERO)
    if excess > 0:
        wallet = accounts.member(entry.member, AccountKind.WALLET)
        recovered = min(excess, wallet.balance)
        legs = [
            (wallet, -recovered),
            (accounts.system(AccountKind.DIVIDEND_POOL), recovered),
            (accounts.system(AccountKind.PLATFORM), excess - recovered),
            (accounts.write_off(channel.currency), -(excess - recovered)),
        ]
        post(channel, key, "queue_clawback", legs, day=day, order=record, member=entry.member)
    received = min(entry.received, target)
    if target == 0:
        status = QueueStatus.CANCELLED
    elif entry.status == QueueStatus.WAITING and received == target:
        status = QueueStatus.FREED
    else:
        status = entry.status
    closing = status != QueueStatus.WAITING and entry.closed_at is None
    QueueEntry.objects.filter(pk=entry.pk).update(
        target=target,
        received=received,
        status=status,
        closed_at=timezone.now() if closing else entry.closed_at,
    )


def claw_back_referral_rewards(
    accounts: Accounts, record: OrderRecord, refunded_before: Decimal, key: str, day
) -> None:
    """A refund takes back the same share of the referral rewards the order paid (chain mode), so
    that ordering and refunding earns a referrer nothing. The rewards are read from the order's
    funding posting, not from today's referral chain, which may have grown since. Shares are
    cumulative, so partial refunds add up to exactly the reward; what a referrer's wallet no
    longer holds is written off."""
    channel = accounts.channel
    rewards = Entry.objects.filter(
        transaction__order=record,
        transaction__kind="order_funding",
        account__kind=AccountKind.WALLET,
    ).values_list("account__member_id", "amount")
    legs = []
    for member_id, reward in rewards:
        due = round_down(reward * record.refunded / record.amount, channel.currency) - round_down(
            reward * refunded_before / record.amount, channel.currency
        )
        wallet = accounts.member(member_id, AccountKind.WALLET)
        recovered = min(due, wallet.balance)
        legs += [
            (wallet, -recovered),
            (accounts.system(AccountKind.PLATFORM), due),
            (accounts.write_off(channel.currency), -(due - recovered)),
        ]
    if legs:
        post(channel, key, "referral_clawback", legs, day=day, order=record)
