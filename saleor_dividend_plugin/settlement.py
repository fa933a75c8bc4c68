"""Daily settlement of a channel day (DESIGN §9): release, point appreciation, expiry.

Each step commits on its own together with its done-marker on the SettlementDay row, so a crash
between steps leaves finished steps finished and the rest undone; a re-run does what is left.
A session-level advisory lock lets only one runner work on a channel at a time: days are settled
strictly in order, because each day's release budget includes what the day before left over.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from . import dividend, points
from .locks import LockSpace, lock_channel
from .models import Channel, OrderRecord, SettlementDay
from .money import ZERO, quantum
from .release import run_release

logger = logging.getLogger(__name__)

SETTLED = "settled"
ALREADY_SETTLED = "already settled"
# Another runner holds the channel's settlement lock; it does the work.
BUSY = "busy"

ONE_DAY = datetime.timedelta(days=1)


class SettlementError(ValueError):
    pass


@dataclass(frozen=True)
class DayResult:
    day: datetime.date
    status: str
    released: Decimal = ZERO
    members_paid: int = 0

    def __str__(self):
        if self.status == SETTLED:
            members = "member" if self.members_paid == 1 else "members"
            return f"{self.day}: settled, released {self.released} to {self.members_paid} {members}"
        return f"{self.day}: {self.status}"


def first_day(channel: Channel) -> datetime.date | None:
    """The first day the channel has anything to settle: the day of its first paid order (the
    release pool, the queue and the points all start with one)."""
    return (
        OrderRecord.objects.filter(channel=channel, confirmed_day__isnull=False)
        .order_by("confirmed_day")
        .values_list("confirmed_day", flat=True)
        .first()
    )


def last_ended_day(channel: Channel, now: datetime.datetime | None = None) -> datetime.date:
    """The latest day that has ended in the channel's timezone: yesterday, local time.

    Beat starts the settlement at the channel's settlement time; any day that has ended may be
    settled, since an order's day is the day it was paid and no later payment can fall into it.
    """
    return (now or timezone.now()).astimezone(channel.settings.tz).date() - ONE_DAY


def is_settled(channel: Channel, day: datetime.date) -> bool:
    return SettlementDay.objects.filter(
        channel=channel, day=day, finished_at__isnull=False
    ).exists()


def unsettled_days(channel: Channel, end: datetime.date) -> list[datetime.date]:
    """Days from the channel's first paid order up to `end` not settled yet, oldest first."""
    start = first_day(channel)
    if start is None or start > end:
        return []
    done = set(
        SettlementDay.objects.filter(
            channel=channel, day__range=(start, end), finished_at__isnull=False
        ).values_list("day", flat=True)
    )
    days = []
    day = start
    while day <= end:
        if day not in done:
            days.append(day)
        day += ONE_DAY
    return days


def settle_until(
    channel: Channel,
    end: datetime.date,
    progress: Callable[[int, int, DayResult], None] | None = None,
) -> list[DayResult]:
    """Settle every unsettled day up to `end`, oldest first (catching up missed days).

    Stops at the first day another runner is busy with: it settles the days after that itself.
    """
    if end > last_ended_day(channel):
        raise SettlementError(f"{end} has not ended yet in {channel.settings.timezone}")
    days = unsettled_days(channel, end)
    results = []
    for i, day in enumerate(days, 1):
        result = settle_day(channel, day)
        results.append(result)
        if progress:
            progress(i, len(days), result)
        if result.status == BUSY:
            break
    return results


def settle_due(channel: Channel) -> list[DayResult]:
    """What beat runs: every day that has ended and is not settled yet."""
    return settle_until(channel, last_ended_day(channel))


def settle_day(channel: Channel, day: datetime.date) -> DayResult:
    """Settle `day` once. A day is settled only after it has ended in the channel's timezone and
    after the day before it (from the channel's first paid order on)."""
    if day > last_ended_day(channel):
        raise SettlementError(f"{day} has not ended yet in {channel.settings.timezone}")
    if not _try_settlement_lock(channel.pk):
        return DayResult(day, BUSY)
    try:
        return _settle_locked(channel, day)
    finally:
        _release_settlement_lock(channel.pk)


def _settle_locked(channel: Channel, day: datetime.date) -> DayResult:
    settlement = SettlementDay.objects.filter(channel=channel, day=day).first()
    if settlement and settlement.finished_at:
        return _result(channel, settlement, ALREADY_SETTLED)
    start = first_day(channel)
    if start is None or day < start:
        raise SettlementError(
            f"nothing to settle on {day}: "
            + (f"the first paid order was on {start}" if start else "no order has been paid yet")
        )
    if day > start and not is_settled(channel, day - ONE_DAY):
        raise SettlementError(
            f"{day - ONE_DAY} is not settled yet: days are settled in order (settle a range to "
            "catch up)"
        )
    if settlement is None:
        settlement = SettlementDay.objects.create(channel=channel, day=day)
    key = f"ch:{channel.pk}:day:{day}"
    if settlement.released_at is None:
        with transaction.atomic():
            lock_channel(channel.pk)
            revenue = OrderRecord.objects.filter(channel=channel, confirmed_day=day).aggregate(
                s=Sum("amount")
            )["s"]
            result = run_release(channel, day, f"{key}:release")
            SettlementDay.objects.filter(pk=settlement.pk).update(
                revenue=revenue or ZERO,
                budget=result.budget,
                released=result.released,
                members_paid=result.members_paid,
                released_at=timezone.now(),
            )
    if settlement.appreciated_at is None:
        with transaction.atomic():
            lock_channel(channel.pk)
            value = points.appreciate(channel, day)
            SettlementDay.objects.filter(pk=settlement.pk).update(
                point_value=value.value, appreciated_at=timezone.now()
            )
    if settlement.expired_at is None:
        with transaction.atomic():
            lock_channel(channel.pk)
            end_of_day = datetime.datetime.combine(
                day + ONE_DAY, datetime.time(), tzinfo=channel.settings.tz
            )
            dividend.expire_entries(channel, end_of_day)
            points.expire_points(channel, day)
            now = timezone.now()
            SettlementDay.objects.filter(pk=settlement.pk).update(expired_at=now, finished_at=now)
    settlement.refresh_from_db()
    logger.info(
        "channel %s: settled %s, released %s to %s members",
        channel.slug,
        day,
        settlement.released,
        settlement.members_paid,
    )
    return _result(channel, settlement, SETTLED)


def _result(channel: Channel, settlement: SettlementDay, status: str) -> DayResult:
    released = settlement.released.quantize(quantum(channel.currency))
    return DayResult(settlement.day, status, released, settlement.members_paid)


def _try_settlement_lock(channel_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LockSpace.SETTLEMENT, channel_id])
        return cursor.fetchone()[0]


def _release_settlement_lock(channel_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LockSpace.SETTLEMENT, channel_id])
