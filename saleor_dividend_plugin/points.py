"""Points (DESIGN §7): what a point is worth, redeeming points, lots and expiry.

Every point is backed: `points_backing_ratio × A` of every confirmed order goes to POINTS_BACKING,
redemptions are paid from it, and a point is never worth more than backing ÷ outstanding points.
Mode `backed` pays exactly that. Mode `rate` pays a schedule that starts at `point_value_initial`
and compounds daily by `point_daily_appreciation` up to `point_value_max`, or the backed value
when the backing covers less.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .channel_slice import ChannelSlice
from .kernel import events
from .kernel.rules import from_minor, to_minor
from .kernel.state import ChannelState
from .ledger import Accounts, already_posted
from .locks import lock_channel
from .models import AccountKind, Channel, Member, PointLot, PointValue
from .money import POINTS, ZERO, InvalidAmount, minor_units, parse_points


class RedemptionError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _valuation(channel: Channel, accounts: Accounts | None, before=None) -> ChannelState:
    """What the point value depends on, as the kernel holds it: the backing, the points issued
    and written off, and in mode `rate` where the schedule stood at the latest appreciation
    (before day `before`, if given)."""
    accounts = accounts or Accounts(channel)
    config = channel.settings
    state = ChannelState(config, channel.currency)
    backing = accounts.system(AccountKind.POINTS_BACKING).balance
    state.backing = to_minor(backing, minor_units(channel.currency))
    state.points_issued = int(accounts.system(AccountKind.POINTS_ISSUED, POINTS).balance)
    state.write_off_points = int(accounts.write_off(POINTS).balance)
    if config.point_value_mode == "rate":
        values = PointValue.objects.filter(channel=channel)
        if before is not None:
            values = values.filter(day__lt=before)
        latest = values.order_by("-day").values_list("day", "scheduled_value").first()
        if latest is not None:
            state.valued_day, state.scheduled_value = latest[0].toordinal(), latest[1]
    return state


def outstanding_points(accounts: Accounts) -> Decimal:
    """Points the members hold (`ChannelState.outstanding_points`)."""
    return Decimal(_valuation(accounts.channel, accounts).outstanding_points())


def point_value(channel: Channel, accounts: Accounts | None = None) -> Decimal:
    """What one point pays right now (`ChannelState.point_value`): never more than the backing
    pays for every point held."""
    return _valuation(channel, accounts).point_value()


def appreciate(channel: Channel, day: datetime.date) -> PointValue:
    """Record the point value of `day` (the settlement's appreciation step,
    `kernel.events.appreciate`).

    In mode `rate` the schedule compounds once for every day since the last recorded one, so a
    missed day is caught up rather than lost; switching to mode `rate` starts the schedule again
    at `point_value_initial`.
    """
    state = _valuation(channel, None, before=day)
    value = events.appreciate(state, day.toordinal())
    recorded, _ = PointValue.objects.update_or_create(
        channel=channel,
        day=day,
        defaults={
            "value": value,
            "scheduled_value": None if state.terms.backed_mode else state.scheduled_value,
            "backing": from_minor(state.backing, state.terms.places),
            "outstanding": Decimal(state.outstanding_points()),
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
        work = ChannelSlice.for_member(member, points=True)
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
    """Burn what is left of the lots whose last day is `day` or earlier
    (`kernel.events.expire_points`). Their backing stays in the pool, so every point still held
    is worth more. Runs under the channel lock."""
    key = f"ch:{channel.pk}:day:{day}:points_expiry"
    if already_posted(key):
        return ZERO
    members = set(
        PointLot.objects.filter(channel=channel, remaining__gt=0, expires_on__lte=day)
        .values_list("member_id", flat=True)
        .distinct()
    )
    if not members:
        return ZERO
    work = ChannelSlice(channel, timezone.now())
    work.load_members(members)
    work.load_lots(members)
    # The kernel names the step by its day; the ledger by the channel and the day.
    work.request(key, None, f"points expired by {day}", ref=("day", day.toordinal()))
    burnt = events.expire_points(work.state, day.toordinal(), work.fx)
    work.write_postings({}, day)
    work.write_lots()
    return Decimal(burnt)
