"""Points (DESIGN §7): what a point is worth, redeeming points, lots and expiry.

Every point is backed: `points_backing_ratio × A` of every confirmed order goes to POINTS_BACKING,
redemptions are paid from it, and a point is never worth more than backing ÷ outstanding points.
Mode `backed` pays exactly that. Mode `rate` pays a schedule that starts at `point_value_initial`
and compounds daily by `point_daily_appreciation` up to `point_value_max`, or the backed value
when the backing covers less.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from .channel_slice import ChannelSlice
from .config import ChannelConfig
from .kernel import events
from .ledger import Accounts, already_posted, post
from .locks import lock_channel
from .models import AccountKind, Channel, Member, PointLot, PointValue
from .money import POINTS, ZERO, InvalidAmount, parse_points

VALUE_PLACES = Decimal("0.00000001")


class RedemptionError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def outstanding_points(accounts: Accounts) -> Decimal:
    """Points the members hold. Points are only ever issued to members, returned, or written off
    when a refund claws back points already spent, so this is what issued and written off leave."""
    issued = accounts.system(AccountKind.POINTS_ISSUED, POINTS).balance
    written_off = accounts.write_off(POINTS).balance
    return -(issued + written_off)


def backed_value(backing: Decimal, outstanding: Decimal) -> Decimal:
    if outstanding <= 0:
        return ZERO
    return (backing / outstanding).quantize(VALUE_PLACES, rounding=ROUND_DOWN)


def scheduled_value(channel: Channel, config: ChannelConfig) -> Decimal:
    """Where the mode `rate` schedule stands after the last appreciation."""
    latest = PointValue.objects.filter(channel=channel).order_by("-day").first()
    if latest is None or latest.scheduled_value is None:
        return config.point_value_initial
    return min(latest.scheduled_value, config.point_value_max)


def point_value(channel: Channel, accounts: Accounts | None = None) -> Decimal:
    """What one point pays right now: never more than the backing pays for every point held."""
    accounts = accounts or Accounts(channel)
    config = channel.settings
    outstanding = outstanding_points(accounts)
    backed = backed_value(accounts.system(AccountKind.POINTS_BACKING).balance, outstanding)
    if config.point_value_mode == "backed":
        return backed
    scheduled = scheduled_value(channel, config)
    # With no point held there is nothing to cover: show the schedule.
    return min(scheduled, backed) if outstanding > 0 else scheduled


def appreciate(channel: Channel, day: datetime.date) -> PointValue:
    """Record the point value of `day` (the settlement's appreciation step).

    In mode `rate` the schedule compounds once for every day since the last recorded one, so a
    missed day is caught up rather than lost; switching to mode `rate` starts the schedule again
    at `point_value_initial`.
    """
    config = channel.settings
    accounts = Accounts(channel)
    backing = accounts.system(AccountKind.POINTS_BACKING).balance
    outstanding = outstanding_points(accounts)
    backed = backed_value(backing, outstanding)
    scheduled = None
    if config.point_value_mode == "rate":
        previous = PointValue.objects.filter(channel=channel, day__lt=day).order_by("-day").first()
        if previous is None or previous.scheduled_value is None:
            scheduled = config.point_value_initial
        else:
            scheduled = min(previous.scheduled_value, config.point_value_max)
            growth = 1 + config.point_daily_appreciation
            for _ in range((day - previous.day).days):
                if scheduled >= config.point_value_max:
                    break
                grown = (scheduled * growth).quantize(VALUE_PLACES, rounding=ROUND_DOWN)
                scheduled = min(grown, config.point_value_max)
        value = min(scheduled, backed) if outstanding > 0 else scheduled
    else:
        value = backed
    recorded, _ = PointValue.objects.update_or_create(
        channel=channel,
        day=day,
        defaults={
            "value": value,
            "scheduled_value": scheduled,
            "backing": backing,
            "outstanding": outstanding,
        },
    )
    return recorded


def whole_points(points) -> Decimal:
    """`points` as a whole number above zero (`money.parse_points`), or RedemptionError
    INVALID."""
    try:
        return parse_points(points)
    except InvalidAmount as error:
        raise RedemptionError("INVALID", error.message) from None


def for_member(member: Member) -> ChannelSlice:
    """The slice of the member's channel that a request of theirs needs: the member with their
    balances and point lots, and where the point value stands. Under the channel lock."""
    found = ChannelSlice(member.channel, timezone.now())
    found.load_members([member.pk])
    found.load_lots([member.pk])
    found.load_point_value()
    return found


def redeem(member: Member, points, *, key: str) -> Decimal:
    """Burn `points` for what they are worth today, rounded down, into the member's wallet
    (`kernel.events.redeem`). Returns the credit. `key` is the posting's idempotency key: a
    replay raises DUPLICATE and changes nothing.
    """
    points = whole_points(points)
    channel = member.channel
    with transaction.atomic():
        lock_channel(channel.pk)
        if already_posted(key):
            raise RedemptionError("DUPLICATE", "This redemption was already made.")
        work = for_member(member)
        ref = work.request(key, member.pk, f"{points:f} points redeemed")
        try:
            credit = events.redeem(
                work.state, work.index[member.pk], int(points), work.day.toordinal(), ref, work.fx
            )
        except events.Refused as refused:
            raise RedemptionError(refused.code, refused.message) from None
        work.write_postings({}, work.day)
        work.write_lots()
        return work.decimal(credit, channel.currency)


def expire_points(channel: Channel, day: datetime.date) -> Decimal:
    """Burn what is left of the lots whose last day is `day` or earlier. Their backing stays in
    the pool, so every point still held is worth more. Runs under the channel lock."""
    expiring = PointLot.objects.filter(channel=channel, remaining__gt=0, expires_on__lte=day)
    per_member = dict(
        expiring.order_by()
        .values("member_id")
        .annotate(points=Sum("remaining"))
        .values_list("member_id", "points")
    )
    if not per_member:
        return ZERO
    accounts = Accounts(channel)
    accounts.load_members(per_member)
    total = sum(per_member.values(), ZERO)
    legs = [(accounts.system(AccountKind.POINTS_ISSUED, POINTS), total)]
    legs += [
        (accounts.member(member_id, AccountKind.POINTS), -points)
        for member_id, points in per_member.items()
    ]
    key = f"ch:{channel.pk}:day:{day}:points_expiry"
    if post(channel, key, "points_expiry", legs, day=day, memo=f"points expired by {day}") is None:
        return ZERO
    expiring.update(remaining=0)
    return total
