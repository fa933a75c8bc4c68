"""The order lifecycle (DESIGN §5): one function brings the plugin's record of an order in line
with the host's view of it.

`sync_order` is what every order event ends in. It compares the order as the host sees it now
with what has already been applied, and applies only the difference: charged and refunded amounts
are cumulative, so duplicated, late or reordered events converge on the same ledger.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .config import ChannelConfig
from .dividend import claw_back_referral_rewards, join_queue, pay_queue, shrink_entry
from .host import OrderSnapshot
from .host import OrderStatus as HostStatus
from .ledger import Accounts, channel_day, post
from .locks import lock_channel
from .members import effective_tier, grant_tier, member_for, referrer_chain, update_tier
from .models import AccountKind, Channel, Member, OrderRecord, OrderStatus
from .money import ZERO, round_down, whole
from .points import add_lot, consume_lots

logger = logging.getLogger(__name__)


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


def expected_rewards(
    config: ChannelConfig, member: Member | None, amount: Decimal, gift: Decimal, currency: str
) -> tuple[Decimal, Decimal]:
    """Points and energy an order of `amount` earns for `member` at its current tier."""
    if member is None:
        return ZERO, ZERO
    tier = config.tier(member.tier_code) or config.tiers[0]
    points = whole(amount * config.points_per_unit * tier.points_multiplier)
    gift_energy = gift * config.gift_package_energy_multiplier
    energy = (amount - gift) * config.energy_multiplier + gift_energy
    return points, round_down(energy, currency)


def sync_order(snapshot: OrderSnapshot) -> str:
    """Apply whatever of `snapshot` has not been applied yet. Returns what happened, for logs.

    A channel switched inactive records and confirms nothing new, but the refunds and
    cancellations of the orders it already recorded are still applied: pausing the program stops
    new rewards, it does not let refunded orders keep theirs.
    """
    channel = Channel.objects.filter(slug=snapshot.channel).first()
    if channel is None:
        return "channel not enabled"
    if not snapshot.from_checkout:
        return "not a checkout order"
    if snapshot.currency != channel.currency:
        return f"order currency {snapshot.currency} is not the channel's {channel.currency}"
    config = channel.settings
    with transaction.atomic():
        lock_channel(channel.pk)
        record = OrderRecord.objects.filter(channel=channel, order_id=snapshot.order_id).first()
        outcome = []
        if record is None:
            if not channel.active:
                return "channel not enabled"
            record = _create(channel, config, snapshot)
            outcome.append("recorded")
        cancelled = snapshot.status in {HostStatus.CANCELLED, HostStatus.EXPIRED}
        if record.status == OrderStatus.VOID:
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
        elif record.status == OrderStatus.PENDING:
            if snapshot.fully_paid:
                # Payment wins over cancellation (the order may have been paid before it was
                # cancelled); a paused channel confirms it once it is switched on again.
                if channel.active:
                    _confirm(channel, config, record, snapshot)
                    outcome.append("confirmed")
            elif cancelled:
                record.status = OrderStatus.VOID
                record.closed_at = timezone.now()
                record.save(update_fields=["status", "closed_at"])
                outcome.append("voided")
            elif channel.active:
                _refresh_expected(config, record, snapshot)
        if record.status == OrderStatus.CONFIRMED and snapshot.refunded > record.refunded:
            if _refund(channel, config, record, snapshot.refunded):
                outcome.append("refunded")
        if not outcome and not channel.active:
            return "channel not enabled: nothing to apply"
        return ", ".join(outcome) or "nothing to do"


def _create(channel, config, snapshot) -> OrderRecord:
    member = member_for(channel, snapshot.user_id) if snapshot.user_id is not None else None
    amount, gift = qualifying_amount(snapshot, config)
    points, energy = expected_rewards(config, member, amount, gift, snapshot.currency)
    return OrderRecord.objects.create(
        channel=channel,
        order_id=snapshot.order_id,
        number=snapshot.number,
        member=member,
        status=OrderStatus.PENDING,
        amount=amount,
        gift_amount=gift,
        points=points,
        energy=energy,
        created_at=snapshot.created_at,
    )


def _refresh_expected(config, record, snapshot) -> None:
    """An unpaid order can still be edited: keep the expected rewards in step."""
    amount, gift = qualifying_amount(snapshot, config)
    if (amount, gift) != (record.amount, record.gift_amount):
        record.amount, record.gift_amount = amount, gift
        record.points, record.energy = expected_rewards(
            config, record.member, amount, gift, snapshot.currency
        )
        record.save(update_fields=["amount", "gift_amount", "points", "energy"])


def _confirm(channel: Channel, config: ChannelConfig, record: OrderRecord, snapshot) -> None:
    now = timezone.now()
    day = channel_day(channel, now)
    amount, gift = qualifying_amount(snapshot, config)
    member = record.member
    accounts = Accounts(channel)
    accounts.load(record.member_id)
    currency = channel.currency
    base = f"ord:{channel.pk}:{record.order_id}"

    # 1. Funding from the platform: dividend pool, release pool, points backing, referrers.
    platform = accounts.system(AccountKind.PLATFORM)
    funding = []
    if config.dividend_enabled:
        funding.append(
            (
                accounts.system(AccountKind.DIVIDEND_POOL),
                round_down(config.dividend_ratio * amount, currency),
            )
        )
    funding.append(
        (
            accounts.system(AccountKind.RELEASE_POOL),
            round_down(config.release_ratio * amount, currency),
        )
    )
    funding.append(
        (
            accounts.system(AccountKind.POINTS_BACKING),
            round_down(config.points_backing_ratio * amount, currency),
        )
    )
    if member is not None and config.referral_mode != "off":
        chain = referrer_chain(member)
        for ratio, referrer in zip(config.referral_ratios, chain, strict=False):
            share = round_down(ratio * amount, currency)
            if config.referral_mode == "chain":
                funding.append((accounts.member(referrer, AccountKind.WALLET), share))
            else:
                funding.append((accounts.system(AccountKind.DIVIDEND_POOL), share))
    total = sum((value for _, value in funding), ZERO)
    # No savepoints here: nothing catches a failed posting inside a sync, the sync fails whole.
    post(
        channel,
        f"{base}:funding",
        "order_funding",
        [(platform, -total), *funding],
        day=day,
        order=record,
        member=member,
        savepoint=False,
    )

    # 2. The pool pays the queue entries ahead of this order.
    if config.dividend_enabled:
        pay_queue(accounts, config, f"{base}:payout", day, order=record)

    record.amount, record.gift_amount = amount, gift
    record.status = OrderStatus.CONFIRMED
    record.confirmed_at = now
    record.confirmed_day = day
    if member is None:
        record.points = record.energy = ZERO
        record.save()
        return

    # 3. This order joins the tail of the queue.
    join_queue(config, record)

    # 4. Points, energy and contribution.
    points, energy = expected_rewards(config, member, amount, gift, currency)
    record.points, record.energy = points, energy
    record.save()
    legs = [
        (accounts.member(member, AccountKind.POINTS), points),
        (accounts.system(AccountKind.POINTS_ISSUED), -points),
        (accounts.member(member, AccountKind.ENERGY), energy),
        (accounts.system(AccountKind.ENERGY_ISSUED), -energy),
        (accounts.member(member, AccountKind.CONTRIBUTION), amount),
        (accounts.system(AccountKind.CONTRIBUTION_ISSUED), -amount),
    ]
    post(
        channel,
        f"{base}:earn",
        "order_rewards",
        legs,
        day=day,
        order=record,
        member=member,
        savepoint=False,
    )
    if points > 0:
        member.channel = channel  # the lot reads the channel's settings: no need to load it again
        add_lot(member, points, day, order=record)

    # 5. Tier: by contribution, or granted by a gift package if higher.
    if member.first_confirmed_at is None:
        member.first_confirmed_at = now
        member.save(update_fields=["first_confirmed_at"])
    contribution = accounts.member(member, AccountKind.CONTRIBUTION).balance
    if gift > 0:
        grant_tier(config, member, config.gift_package_tier, contribution, order=record)
    elif effective_tier(config, member, contribution) != member.tier_code:
        # Loaded under the channel lock, the member's grant cannot have changed meanwhile: only a
        # new tier needs writing.
        update_tier(config, member, contribution, "contribution", order=record)


def _refund(channel: Channel, config: ChannelConfig, record: OrderRecord, refunded) -> bool:
    """Reverse the share of the order that has been refunded (cumulative, so order-independent)."""
    currency = channel.currency
    new = min(round_down(refunded, currency), record.amount)
    if new <= record.refunded or record.amount <= 0:
        return False
    old = record.refunded
    day = channel_day(channel)
    base = f"ord:{channel.pk}:{record.order_id}:refund:{new}"
    member = record.member
    record.refunded = new
    record.save(update_fields=["refunded"])
    if member is None:
        return True
    accounts = Accounts(channel)
    remaining = (record.amount - new) / record.amount

    def reversed_part(total: Decimal, refunded_so_far: Decimal, points: bool = False):
        share = total * refunded_so_far / record.amount
        return whole(share) if points else round_down(share, currency)

    # Points: take what the member still holds; the rest is written off.
    points_due = reversed_part(record.points, new, True) - reversed_part(record.points, old, True)
    held = accounts.member(member, AccountKind.POINTS)
    points_taken = min(points_due, held.balance)
    # Energy: only what has not been released yet; released credit is not clawed back.
    energy_due = reversed_part(record.energy, new) - reversed_part(record.energy, old)
    energy = accounts.member(member, AccountKind.ENERGY)
    energy_taken = min(energy_due, energy.balance)
    contribution_due = new - old
    legs = [
        (held, -points_taken),
        (accounts.system(AccountKind.POINTS_ISSUED), points_due),
        (accounts.write_off("PTS"), -(points_due - points_taken)),
        (energy, -energy_taken),
        (accounts.system(AccountKind.ENERGY_ISSUED), energy_taken),
        (accounts.member(member, AccountKind.CONTRIBUTION), -contribution_due),
        (accounts.system(AccountKind.CONTRIBUTION_ISSUED), contribution_due),
    ]
    post(channel, f"{base}:reverse", "order_reversal", legs, day=day, order=record, member=member)
    if points_taken > 0:
        consume_lots(member, points_taken)
    shrink_entry(accounts, record, remaining, f"{base}:clawback", day)
    claw_back_referral_rewards(accounts, record, old, f"{base}:referral", day)

    # A fully refunded gift package no longer grants its tier.
    contribution = accounts.member(member, AccountKind.CONTRIBUTION).balance
    if new == record.amount and record.gift_amount > 0 and member.granted_tier_code:
        still_granted = OrderRecord.objects.filter(
            member=member,
            status=OrderStatus.CONFIRMED,
            gift_amount__gt=0,
            refunded__lt=F("amount"),
        ).exists()
        if not still_granted:
            member.granted_tier_code = ""
    update_tier(config, member, contribution, "refund", order=record)
    return True
