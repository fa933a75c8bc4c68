"""Every read of the rewards tables that the report and the forecast make, and nothing else.

The figures come out as plain values (Decimal money in the channel currency, dates in the channel's
timezone), so that a change of the ledger's shape changes this module only. Each function is a few
set-based statements whose cost grows with the period's orders and the channel's queue, never with
members x days: the daily release, which posts a leg per member per day, is read from its
settlement row instead of its entries.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from ..models import AccountKind, Channel, OrderStatus, QueueStatus
from ..money import CONTRIBUTION, ENERGY, POINTS, ZERO, minor_units

# Posting kinds (ledger.post's `kind`) whose legs make the daily flows.
FUNDING, PAYOUT, RELEASE = "order_funding", "queue_payout", "daily_release"
REDEMPTION, REVERSAL = "redemption", "order_reversal"
QUEUE_CLAWBACK, REFERRAL_CLAWBACK = "queue_clawback", "referral_clawback"
# Wallet credit leaving for the host (gift cards) or for a payout outside the store; a rejected
# withdrawal gives it back.
SPENDING = ("gift_card", "withdrawal_request", "withdrawal_rejected")


def _rows(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _start(channel: Channel, day: datetime.date) -> datetime.datetime:
    """When channel day `day` begins."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=channel.settings.tz)


@dataclass
class Movements:
    """Per day: what moved, and the net change of the balances the report follows."""

    # day -> figure -> amount
    flows: dict[datetime.date, dict[str, Decimal]]
    # day -> stock -> net change that day
    changes: dict[datetime.date, dict[str, Decimal]]


# A leg as (posting kind or None for any, account kind, held by a member?, unit class) -> the
# figure it adds to (sign: +1 adds the leg's amount, -1 subtracts it).
_FLOWS = {
    "funded": [(None, AccountKind.PLATFORM, False, "money", -1)],
    "pool_funded": [(FUNDING, AccountKind.DIVIDEND_POOL, False, "money", 1)],
    "queue_paid": [(PAYOUT, AccountKind.WALLET, True, "money", 1)],
    "referral_paid": [
        (FUNDING, AccountKind.WALLET, True, "money", 1),
        (REFERRAL_CLAWBACK, AccountKind.PLATFORM, False, "money", -1),
    ],
    "redeemed": [(REDEMPTION, AccountKind.WALLET, True, "money", 1)],
    "spent": [(kind, AccountKind.WALLET, True, "money", -1) for kind in SPENDING],
    "clawed_back": [(QUEUE_CLAWBACK, AccountKind.DIVIDEND_POOL, False, "money", 1)],
    "written_off": [(None, AccountKind.WRITE_OFF, False, "money", -1)],
    # A member order's refund takes back its contribution, which equals the money refunded.
    "refunds": [(REVERSAL, AccountKind.CONTRIBUTION_ISSUED, False, CONTRIBUTION, 1)],
}
_STOCKS = {
    "dividend_pool": (AccountKind.DIVIDEND_POOL, False, "money"),
    "release_pool": (AccountKind.RELEASE_POOL, False, "money"),
    "points_backing": (AccountKind.POINTS_BACKING, False, "money"),
    "wallets": (AccountKind.WALLET, True, "money"),
    "unreleased_energy": (AccountKind.ENERGY, True, ENERGY),
    # Outstanding points are minus what issued and written-off points hold (points.outstanding).
    "points_issued": (AccountKind.POINTS_ISSUED, False, POINTS),
    "points_written_off": (AccountKind.WRITE_OFF, False, POINTS),
}


def _unit_class(unit: str) -> str:
    return unit if unit in (POINTS, ENERGY, CONTRIBUTION) else "money"


def movements(channel: Channel, first: datetime.date) -> Movements:
    """The flows and stock changes of every day from `first` on (later days included, so that
    balances can be rolled back from today's)."""
    grouped = _rows(
        "SELECT t.day, t.kind, a.kind, a.member_id IS NOT NULL, e.unit, sum(e.amount)"
        "  FROM dividend_transaction t"
        "  JOIN dividend_entry e ON e.transaction_id = t.id"
        "  JOIN dividend_account a ON a.id = e.account_id"
        " WHERE t.channel_id = %s AND t.day >= %s AND t.kind <> %s"
        " GROUP BY 1, 2, 3, 4, 5",
        [channel.pk, first, RELEASE],
    )
    flows: dict = defaultdict(lambda: defaultdict(Decimal))
    changes: dict = defaultdict(lambda: defaultdict(Decimal))
    for day, txn_kind, account_kind, of_member, unit, amount in grouped:
        unit_class = _unit_class(unit)
        for name, legs in _FLOWS.items():
            for kind, acc, member, units, sign in legs:
                if (kind in (None, txn_kind)) and acc == account_kind and member == of_member:
                    if units == unit_class:
                        flows[day][name] += sign * amount
        for name, (acc, member, units) in _STOCKS.items():
            if acc == account_kind and member == of_member and units == unit_class:
                changes[day][name] += amount
    # The release moves the release pool into wallets and burns as much energy.
    for day, released in _rows(
        "SELECT day, released FROM dividend_settlement_day"
        " WHERE channel_id = %s AND day >= %s AND released > 0",
        [channel.pk, first],
    ):
        flows[day]["released"] += released
        changes[day]["release_pool"] -= released
        changes[day]["wallets"] += released
        changes[day]["unreleased_energy"] -= released
    return Movements(flows, changes)


def balances(channel: Channel) -> dict[str, Decimal]:
    """Today's balances of the stocks the report follows."""
    out = dict.fromkeys(_STOCKS, ZERO)
    for account_kind, of_member, unit, total in _rows(
        "SELECT kind, member_id IS NOT NULL, unit, sum(balance) FROM dividend_account"
        " WHERE channel_id = %s GROUP BY 1, 2, 3",
        [channel.pk],
    ):
        for name, (acc, member, units) in _STOCKS.items():
            if acc == account_kind and member == of_member and units == _unit_class(unit):
                out[name] += total
    return out


@dataclass
class OrderDays:
    paid: dict[datetime.date, tuple[int, Decimal]]
    cancelled: dict[datetime.date, int]


def order_days(channel: Channel, first: datetime.date, last: datetime.date) -> OrderDays:
    """Orders paid (by the day they were confirmed) and cancelled before payment (by the day)."""
    tz = channel.settings.timezone
    paid = {
        day: (count, amount)
        for day, count, amount in _rows(
            "SELECT confirmed_day, count(*), sum(amount) FROM dividend_order"
            " WHERE channel_id = %s AND confirmed_day BETWEEN %s AND %s AND status = %s"
            " GROUP BY 1",
            [channel.pk, first, last, OrderStatus.CONFIRMED],
        )
    }
    cancelled = dict(
        _rows(
            "SELECT (closed_at AT TIME ZONE %s)::date, count(*) FROM dividend_order"
            " WHERE channel_id = %s AND status = %s AND closed_at >= %s AND closed_at < %s"
            " GROUP BY 1",
            [
                tz,
                channel.pk,
                OrderStatus.VOID,
                _start(channel, first),
                _start(channel, last + datetime.timedelta(days=1)),
            ],
        )
    )
    return OrderDays(paid, cancelled)


@dataclass
class QueueDays:
    """Queue entries joined and closed per day (count, targets, received), and those waiting now."""

    joined: dict[datetime.date, tuple[int, Decimal]]
    # (status, day) -> (count, target, received)
    closed: dict[tuple[str, datetime.date], tuple[int, Decimal, Decimal]]
    # day -> how much refunds took off the targets of entries waiting when they came
    shrunk: dict[datetime.date, Decimal]
    waiting: int
    waiting_target: Decimal
    waiting_received: Decimal


def queue_days(channel: Channel, first: datetime.date) -> QueueDays:
    tz, since = channel.settings.timezone, _start(channel, first)
    joined = {
        day: (count, target)
        for day, count, target in _rows(
            "SELECT (created_at AT TIME ZONE %s)::date, count(*), sum(target)"
            "  FROM dividend_queue_entry WHERE channel_id = %s AND created_at >= %s GROUP BY 1",
            [tz, channel.pk, since],
        )
    }
    closed = {
        (status, day): (count, target, received)
        for status, day, count, target, received in _rows(
            "SELECT status, (closed_at AT TIME ZONE %s)::date, count(*), sum(target),"
            "       sum(received)"
            "  FROM dividend_queue_entry WHERE channel_id = %s AND closed_at >= %s"
            " GROUP BY 1, 2",
            [tz, channel.pk, since],
        )
    }
    # A refund shrinks its order's entry to round_down(original target x what is left unrefunded);
    # each reversal's contribution leg is the money it refunded, and the order's later reversals
    # tell what was refunded up to it.
    places = minor_units(channel.currency)
    shrunk = dict(
        _rows(
            "WITH r AS ("
            "  SELECT t.id, t.day, t.created_at, t.order_id, e.amount AS part"
            "    FROM dividend_transaction t"
            "    JOIN dividend_entry e ON e.transaction_id = t.id"
            "    JOIN dividend_account a ON a.id = e.account_id"
            "   WHERE t.channel_id = %s AND t.kind = %s AND t.day >= %s AND a.kind = %s),"
            " c AS ("
            "  SELECT r.*, o.amount, o.refunded - coalesce(sum(r.part) OVER (PARTITION BY"
            "         r.order_id ORDER BY r.id DESC ROWS BETWEEN UNBOUNDED PRECEDING"
            "         AND 1 PRECEDING), 0) AS after"
            "    FROM r JOIN dividend_order o ON o.id = r.order_id)"
            " SELECT c.day, sum("
            "   trunc(q.original_target * (c.amount - c.after + c.part) / c.amount, %s)"
            "   - trunc(q.original_target * (c.amount - c.after) / c.amount, %s))"
            "   FROM c JOIN dividend_queue_entry q ON q.order_id = c.order_id"
            "  WHERE q.created_at <= c.created_at"
            "    AND (q.closed_at IS NULL OR q.closed_at >= c.created_at)"
            "  GROUP BY 1",
            [channel.pk, REVERSAL, first, AccountKind.CONTRIBUTION_ISSUED, places, places],
        )
    )
    [(waiting, target, received)] = _rows(
        "SELECT count(*), coalesce(sum(target), 0), coalesce(sum(received), 0)"
        "  FROM dividend_queue_entry WHERE channel_id = %s AND status = %s",
        [channel.pk, QueueStatus.WAITING],
    )
    return QueueDays(joined, closed, shrunk, waiting, target, received)


@dataclass
class Waits:
    """Days from joining the queue until freed (entries freed in the period), and days waited so
    far by the entries still waiting; p50/p90/max, and a histogram of the freed ones."""

    freed: dict[str, Decimal] | None
    waiting: dict[str, Decimal] | None
    # (from days, to days, entries)
    histogram: list[tuple[Decimal, Decimal, int]] = field(default_factory=list)


_BUCKETS = 20


def _days(seconds) -> Decimal:
    return (Decimal(seconds) / 86400).quantize(Decimal("0.1"))


def waits(
    channel: Channel, first: datetime.date, last: datetime.date, now: datetime.datetime
) -> Waits:
    since, until = _start(channel, first), _start(channel, last + datetime.timedelta(days=1))
    freed_sql = (
        " FROM dividend_queue_entry WHERE channel_id = %s AND status = 'freed'"
        " AND closed_at >= %s AND closed_at < %s"
    )
    wait = "extract(epoch FROM closed_at - created_at)"
    [row] = _rows(
        f"SELECT count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY {wait}),"
        f" percentile_disc(0.9) WITHIN GROUP (ORDER BY {wait}), max({wait}) {freed_sql}",
        [channel.pk, since, until],
    )
    freed = None
    histogram = []
    if row[0]:
        freed = {"p50": _days(row[1]), "p90": _days(row[2]), "max": _days(row[3])}
        width = max(Decimal(row[3]), Decimal(1)) / _BUCKETS
        counts = dict(
            _rows(
                f"SELECT least(floor({wait} / %s)::int, %s), count(*) {freed_sql} GROUP BY 1",
                [width, _BUCKETS - 1, channel.pk, since, until],
            )
        )
        histogram = [
            (_days(width * i), _days(width * (i + 1)), counts.get(i, 0)) for i in range(_BUCKETS)
        ]
    waited = "extract(epoch FROM %s - created_at)"
    [row] = _rows(
        f"SELECT count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY {waited}),"
        f" percentile_disc(0.9) WITHIN GROUP (ORDER BY {waited}), max({waited})"
        "  FROM dividend_queue_entry WHERE channel_id = %s AND status = 'waiting'",
        [now, now, now, channel.pk],
    )
    waiting = {"p50": _days(row[1]), "p90": _days(row[2]), "max": _days(row[3])} if row[0] else None
    return Waits(freed, waiting, histogram)


def member_days(channel: Channel, first: datetime.date) -> tuple[int, dict[datetime.date, int]]:
    """Members today, and how many joined each day from `first` on."""
    tz = channel.settings.timezone
    [(total,)] = _rows("SELECT count(*) FROM dividend_member WHERE channel_id = %s", [channel.pk])
    joined = dict(
        _rows(
            "SELECT (created_at AT TIME ZONE %s)::date, count(*) FROM dividend_member"
            " WHERE channel_id = %s AND created_at >= %s GROUP BY 1",
            [tz, channel.pk, _start(channel, first)],
        )
    )
    return total, joined


def tier_counts(channel: Channel) -> dict[str, int]:
    """Members with a paid order, by tier code."""
    return dict(
        _rows(
            "SELECT tier_code, count(*) FROM dividend_member"
            " WHERE channel_id = %s AND first_confirmed_at IS NOT NULL GROUP BY 1",
            [channel.pk],
        )
    )


def point_values(
    channel: Channel, first: datetime.date, last: datetime.date
) -> dict[datetime.date, Decimal]:
    """The point value each settled day recorded."""
    return dict(
        _rows(
            "SELECT day, value FROM dividend_point_value"
            " WHERE channel_id = %s AND day BETWEEN %s AND %s",
            [channel.pk, first, last],
        )
    )


@dataclass(frozen=True)
class Referrer:
    referral_code: str
    email: str
    referred: int
    rewards: Decimal


def top_referrers(
    channel: Channel, first: datetime.date, last: datetime.date, limit: int = 10
) -> list[Referrer]:
    """Members whose referrals paid them the most in the period (mode chain), then those who
    referred the most members."""
    from django.contrib.auth import get_user_model

    user = get_user_model()
    email = user.get_email_field_name()
    rows = _rows(
        "WITH rewards AS ("
        "  SELECT a.member_id, sum(e.amount) AS amount"
        "    FROM dividend_transaction t"
        "    JOIN dividend_entry e ON e.transaction_id = t.id"
        "    JOIN dividend_account a ON a.id = e.account_id"
        "   WHERE t.channel_id = %s AND t.day BETWEEN %s AND %s AND t.kind IN (%s, %s)"
        "     AND a.kind = %s AND a.member_id IS NOT NULL"
        "   GROUP BY 1),"
        " referred AS ("
        "  SELECT referrer_id AS member_id, count(*) AS n FROM dividend_member"
        "   WHERE channel_id = %s AND referrer_id IS NOT NULL GROUP BY 1)"
        f" SELECT m.referral_code, coalesce(u.{connection.ops.quote_name(email)}, ''),"
        "        coalesce(r.n, 0), coalesce(w.amount, 0)"
        "   FROM referred r"
        "   FULL JOIN rewards w ON w.member_id = r.member_id"
        "   JOIN dividend_member m ON m.id = coalesce(r.member_id, w.member_id)"
        f"  LEFT JOIN {connection.ops.quote_name(user._meta.db_table)} u ON u.id = m.user_id"
        "  ORDER BY 4 DESC, 3 DESC, m.id LIMIT %s",
        [
            channel.pk,
            first,
            last,
            FUNDING,
            REFERRAL_CLAWBACK,
            AccountKind.WALLET,
            channel.pk,
            limit,
        ],
    )
    return [Referrer(code, mail, n, amount) for code, mail, n, amount in rows]


def point_value_today(channel: Channel) -> Decimal:
    """What a point redeems for now (the points service's own figure)."""
    from ..points import point_value

    return point_value(channel)


@dataclass
class FlowHistory:
    """What the channel's customers did over a window of whole days, for fitting the simulator's
    order flow (`reporting.fit`). Money in the channel currency."""

    first: datetime.date
    last: datetime.date
    # Orders placed per day (any outcome), oldest first.
    placed_per_day: list[int]
    guest_orders: int
    cancelled: int
    # Paid orders: (amount, gift amount, by a member?, refunded).
    paid: list[tuple[Decimal, Decimal, bool, Decimal]]
    # Paid orders placed early enough for a refund to have come, and how many of them were
    # refunded (in part, in full).
    settled_for_refunds: int
    refunded_part: int
    refunded_full: int
    # Days from payment to the first refund, of member orders refunded in the window.
    refund_delays: list[int]
    member_orders: int
    # Paid member orders that were not the member's first order.
    returning_member_orders: int
    new_members: int
    referred_new_members: int
    redemptions: int
    wallet_spends: int


def flow_history(
    channel: Channel, first: datetime.date, last: datetime.date, refund_days: int
) -> FlowHistory:
    """Orders placed on days `first` to `last`; refunds counted for those placed at least
    `refund_days` days before `last`."""
    tz = channel.settings.timezone
    since, until = _start(channel, first), _start(channel, last + datetime.timedelta(days=1))
    placed_day = "(created_at AT TIME ZONE %s)::date"
    per_day = dict(
        _rows(
            f"SELECT {placed_day}, count(*) FROM dividend_order"
            " WHERE channel_id = %s AND created_at >= %s AND created_at < %s GROUP BY 1",
            [tz, channel.pk, since, until],
        )
    )
    days = (last - first).days + 1
    placed = [per_day.get(first + datetime.timedelta(days=i), 0) for i in range(days)]
    [(guests, cancelled, member_orders)] = _rows(
        "SELECT count(*) FILTER (WHERE member_id IS NULL), count(*) FILTER (WHERE status = %s),"
        "       count(*) FILTER (WHERE member_id IS NOT NULL AND status = %s)"
        "  FROM dividend_order WHERE channel_id = %s AND created_at >= %s AND created_at < %s",
        [OrderStatus.VOID, OrderStatus.CONFIRMED, channel.pk, since, until],
    )
    paid = [
        (amount, gift, has_member, refunded)
        for amount, gift, has_member, refunded in _rows(
            "SELECT amount, gift_amount, member_id IS NOT NULL, refunded FROM dividend_order"
            " WHERE channel_id = %s AND status = %s AND created_at >= %s AND created_at < %s",
            [channel.pk, OrderStatus.CONFIRMED, since, until],
        )
    ]
    refund_until = _start(channel, last - datetime.timedelta(days=refund_days - 1))
    [(settled, part, full)] = _rows(
        "SELECT count(*), count(*) FILTER (WHERE refunded > 0 AND refunded < amount),"
        "       count(*) FILTER (WHERE refunded > 0 AND refunded = amount)"
        "  FROM dividend_order"
        " WHERE channel_id = %s AND status = %s AND created_at >= %s AND created_at < %s",
        [channel.pk, OrderStatus.CONFIRMED, since, refund_until],
    )
    delays = [
        delay
        for (delay,) in _rows(
            "SELECT min(t.day) - o.confirmed_day FROM dividend_transaction t"
            "  JOIN dividend_order o ON o.id = t.order_id"
            " WHERE t.channel_id = %s AND t.kind = %s AND o.created_at >= %s"
            "   AND o.created_at < %s GROUP BY o.id, o.confirmed_day",
            [channel.pk, REVERSAL, since, until],
        )
    ]
    [(returning,)] = _rows(
        "SELECT count(*) FROM ("
        "  SELECT status, created_at, row_number() OVER (PARTITION BY member_id"
        "         ORDER BY created_at, id) AS n"
        "    FROM dividend_order WHERE channel_id = %s AND member_id IS NOT NULL"
        "     AND created_at < %s) o"
        " WHERE o.n > 1 AND o.status = %s AND o.created_at >= %s",
        [channel.pk, until, OrderStatus.CONFIRMED, since],
    )
    # A new customer is one whose first order was placed in the window (memberships are made
    # with the first order, or just before it when a referrer is set).
    [(new, referred)] = _rows(
        "SELECT count(*), count(*) FILTER (WHERE m.referrer_id IS NOT NULL)"
        "  FROM dividend_member m"
        "  JOIN (SELECT member_id, min(created_at) AS first_order FROM dividend_order"
        "         WHERE channel_id = %s AND member_id IS NOT NULL GROUP BY 1) f"
        "    ON f.member_id = m.id"
        " WHERE f.first_order >= %s AND f.first_order < %s",
        [channel.pk, since, until],
    )
    [(redemptions, spends)] = _rows(
        "SELECT count(*) FILTER (WHERE kind = %s), count(*) FILTER (WHERE kind IN (%s, %s))"
        "  FROM dividend_transaction WHERE channel_id = %s AND day BETWEEN %s AND %s",
        [REDEMPTION, "gift_card", "withdrawal_request", channel.pk, first, last],
    )
    return FlowHistory(
        first=first,
        last=last,
        placed_per_day=placed,
        guest_orders=guests,
        cancelled=cancelled,
        paid=paid,
        settled_for_refunds=settled,
        refunded_part=part,
        refunded_full=full,
        refund_delays=delays,
        member_orders=member_orders,
        returning_member_orders=returning,
        new_members=new,
        referred_new_members=referred,
        redemptions=redemptions,
        wallet_spends=spends,
    )


@dataclass
class MemberState:
    id: int
    referrer_id: int | None
    tier_code: str
    granted_tier_code: str
    confirmed: bool
    points: Decimal
    energy: Decimal
    contribution: Decimal
    wallet: Decimal
    # Paid gift-package orders not refunded in full (they keep a granted tier).
    live_gift_orders: int


@dataclass
class WaitingEntry:
    member_id: int
    original_target: Decimal
    target: Decimal
    received: Decimal
    created_at: datetime.datetime
    expires_at: datetime.datetime | None


@dataclass
class ChannelSnapshot:
    """A channel as it stands: what the forecast starts the simulator from (`start`)."""

    currency: str
    # System balances by (account kind, unit).
    system: dict[tuple[str, str], Decimal]
    members: list[MemberState]
    # Waiting queue entries, head first.
    queue: list[WaitingEntry]
    # Points still to expire: (member id, last day usable, points), soonest first.
    lots: list[tuple[int, datetime.date, Decimal]]
    # Mode rate: where the appreciation schedule stands, and the day it was last advanced.
    scheduled_point_value: Decimal | None
    scheduled_on: datetime.date | None


def channel_snapshot(channel: Channel) -> ChannelSnapshot:
    system = {
        (kind, unit): balance
        for kind, unit, balance in _rows(
            "SELECT kind, unit, balance FROM dividend_account"
            " WHERE channel_id = %s AND member_id IS NULL",
            [channel.pk],
        )
    }
    gifts = dict(
        _rows(
            "SELECT member_id, count(*) FROM dividend_order WHERE channel_id = %s AND status = %s"
            " AND gift_amount > 0 AND refunded < amount AND member_id IS NOT NULL GROUP BY 1",
            [channel.pk, OrderStatus.CONFIRMED],
        )
    )

    def held(kind):
        return f"coalesce(sum(a.balance) FILTER (WHERE a.kind = '{kind}'), 0)"

    members = [
        MemberState(
            pk,
            referrer,
            tier,
            granted,
            confirmed,
            points,
            energy,
            contribution,
            wallet,
            gifts.get(pk, 0),
        )
        for pk, referrer, tier, granted, confirmed, points, energy, contribution, wallet in _rows(
            "SELECT m.id, m.referrer_id, m.tier_code, m.granted_tier_code,"
            "       m.first_confirmed_at IS NOT NULL,"
            f"      {held(AccountKind.POINTS)}, {held(AccountKind.ENERGY)},"
            f"      {held(AccountKind.CONTRIBUTION)}, {held(AccountKind.WALLET)}"
            "  FROM dividend_member m LEFT JOIN dividend_account a ON a.member_id = m.id"
            " WHERE m.channel_id = %s GROUP BY m.id ORDER BY m.id",
            [channel.pk],
        )
    ]
    queue = [
        WaitingEntry(*row)
        for row in _rows(
            "SELECT member_id, original_target, target, received, created_at, expires_at"
            "  FROM dividend_queue_entry WHERE channel_id = %s AND status = %s ORDER BY seq",
            [channel.pk, QueueStatus.WAITING],
        )
    ]
    lots = _rows(
        "SELECT member_id, expires_on, remaining FROM dividend_point_lot"
        " WHERE channel_id = %s AND remaining > 0 AND expires_on IS NOT NULL"
        " ORDER BY expires_on, id",
        [channel.pk],
    )
    scheduled = _rows(
        "SELECT scheduled_value, day FROM dividend_point_value WHERE channel_id = %s"
        " ORDER BY day DESC LIMIT 1",
        [channel.pk],
    )
    scheduled_value, scheduled_on = scheduled[0] if scheduled else (None, None)
    return ChannelSnapshot(
        currency=channel.currency,
        system=system,
        members=members,
        queue=queue,
        lots=[tuple(lot) for lot in lots],
        scheduled_point_value=scheduled_value,
        scheduled_on=scheduled_on,
    )
