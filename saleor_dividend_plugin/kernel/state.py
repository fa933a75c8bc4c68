"""A channel's state as plain values: the pools, the queue, and its members' accounts.

Members are numbered from 0 in the order they were added; their accounts and what the rules
remember about them are columns indexed by that number, so that the daily release runs over plain
lists. A shell maps its own ids to these numbers. The state may hold a whole channel (the
simulator) or the slice of it that a unit of work touches, loaded by a shell: the members
involved with their referrers, the head of the queue, the pools. Anything can be set before
events are applied, so a run can start from any state (`add_member` takes balances, `add_entry`
places queued orders, the system balances are attributes).

Amounts are integers: money in the currency's minor unit, points whole, energy and contribution
in the currency's minor unit.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from decimal import Decimal

from ..config import ChannelConfig
from ..money import minor_units
from . import movements as mv
from . import rules
from .rules import SCALE, scaled

# The state attribute that holds each system account's balance, by the account's kernel name
# (kernel.movements).
SYSTEM_BALANCES = {
    mv.PLATFORM: "platform",
    mv.DIVIDEND_POOL: "dividend_pool",
    mv.RELEASE_POOL: "release_pool",
    mv.POINTS_BACKING: "backing",
    mv.WRITE_OFF: "write_off",
    mv.WRITE_OFF_POINTS: "write_off_points",
    mv.GIFT_CARDS: "gift_cards",
    mv.WITHDRAWALS_PENDING: "withdrawals_pending",
    mv.WITHDRAWALS_PAID: "withdrawals_paid",
    mv.POINTS_ISSUED: "points_issued",
    mv.ENERGY_ISSUED: "energy_issued",
    mv.CONTRIBUTION_ISSUED: "contribution_issued",
}

WAITING, FREED, EXPIRED, CANCELLED = "waiting", "freed", "expired", "cancelled"
PENDING, CONFIRMED, VOID = "pending", "confirmed", "void"
DAY_SECONDS = 86_400
# The expiry day of a lot that never expires (points_expire_days 0): later than any date ordinal,
# so such lots sort last and are never burnt.
NEVER = 10**9


class Entry:
    """A queue entry: an order waiting to be paid back `target` (models.QueueEntry)."""

    __slots__ = ("ref", "member", "original", "target", "received", "status", "created", "expires")

    def __init__(self, ref, member, target, created, expires, received=0, status=WAITING):
        self.ref = ref
        self.member = member
        self.original = self.target = target
        self.received = received
        self.status = status
        self.created = created
        self.expires = expires


class Order:
    """An order as the rules see it (models.OrderRecord): `ref` names it in idempotency keys;
    `amount` is its qualifying amount, `gift` the part spent on gift packages."""

    __slots__ = (
        "ref",
        "member",
        "amount",
        "gift",
        "status",
        "points",
        "energy",
        "refunded",
        "entry",
        "rewards",
    )

    def __init__(self, ref, member: int | None, amount: int, gift: int = 0):
        self.ref = ref
        self.member = member
        self.amount = amount
        self.gift = gift
        self.status = PENDING
        self.points = self.energy = self.refunded = 0
        self.entry: Entry | None = None
        # What confirming it paid each referrer's wallet: [(referrer, amount)].
        self.rewards: list[tuple[int, int]] = []


class Terms:
    """The channel configuration as the integers the rules compute with."""

    def __init__(self, config: ChannelConfig, currency: str):
        c = self.config = config
        self.currency = currency
        self.places = places = minor_units(currency)
        self.dividend_enabled = c.dividend_enabled
        self.dividend_ratio = scaled(c.dividend_ratio)
        self.release_ratio = scaled(c.release_ratio)
        self.backing_ratio = scaled(c.points_backing_ratio)
        self.free_ratio = scaled(c.free_ratio)
        # Amount limits in 10**-(places + 8) units, where an amount is `minor * SCALE`.
        self.queue_min = int(c.queue_min_amount.scaleb(places + rules.SCALE_PLACES))
        self.queue_max_amount = int(c.queue_max_amount.scaleb(places + rules.SCALE_PLACES))
        self.queue_max_length = c.queue_max_length
        self.queue_max_entries = c.queue_max_entries_per_member
        self.fifo = c.payout_mode == "fifo"
        self.even_k = c.even_k
        self.referral = [scaled(r) for r in c.referral_ratios] if c.referral_mode != "off" else []
        self.referral_to_wallet = c.referral_mode == "chain"
        self.points_per_unit = scaled(c.points_per_unit)
        self.points_divisor = 10**places * SCALE * SCALE
        self.energy_multiplier = scaled(c.energy_multiplier)
        self.gift_energy_multiplier = scaled(c.gift_package_energy_multiplier)
        self.tier_min = [math.ceil(t.min_contribution.scaleb(places)) for t in c.tiers]
        self.tier_weight = [scaled(t.release_weight) for t in c.tiers]
        self.tier_points = [scaled(t.points_multiplier) for t in c.tiers]
        self.gift_rank = c.tier_rank(c.gift_package_tier)
        self.ttl = c.queue_ttl_days * DAY_SECONDS
        self.points_expire_days = c.points_expire_days
        self.points_min_redemption = int(c.points_min_redemption)
        self.backed_mode = c.point_value_mode == "backed"
        self.point_value_initial = c.point_value_initial
        self.point_value_max = c.point_value_max
        self.point_daily_appreciation = c.point_daily_appreciation


class ChannelState:
    def __init__(self, config: ChannelConfig, currency: str, *, keep_lots: bool = False):
        self.terms = Terms(config, currency)
        # Lots are needed to expire points; a shell that stores every point in a lot (the
        # database keeps lots that never expire too) asks for them whatever the configuration.
        self.keep_lots = keep_lots or bool(self.terms.points_expire_days)
        # System accounts, as balances.
        self.platform = self.dividend_pool = self.release_pool = self.backing = 0
        self.write_off = self.write_off_points = self.gift_cards = 0
        self.withdrawals_pending = self.withdrawals_paid = 0
        self.points_issued = self.energy_issued = self.contribution_issued = 0

        # Members, by number.
        self.points: list[int] = []
        self.energy: list[int] = []
        self.contribution: list[int] = []
        self.wallet: list[int] = []
        self.tier: list[int] = []  # rank in config.tiers
        self.granted: list[int] = []  # rank granted by a gift package, -1 for none
        self.referrer: list[int] = []  # -1 for none
        self.confirmed: list[bool] = []  # has a confirmed order
        self.open_entries: list[int] = []
        self.live_gift_orders: list[int] = []  # confirmed gift-package orders not fully refunded
        # Point lots per member, earliest expiry first: [expires_on, member, remaining].
        self.lots: list[deque | None] = []
        # contribution x release weight, kept in step with the tier.
        self.weighted: list[int] = []

        # Waiting entries in confirmation order (closed ones leave from the head).
        self.queue: deque[Entry] = deque()
        self.waiting = 0
        self.waiting_remaining = 0
        # Every lot in expiry order (all lots of a channel have the same lifetime).
        self.all_lots: deque[list] = deque()
        # Mode rate: where the appreciation schedule stands, and since which day (an ordinal).
        self.scheduled_value: Decimal | None = None
        self.valued_day: int | None = None

    # Building a state ------------------------------------------------------------------------

    def add_member(
        self,
        points=0,
        energy=0,
        contribution=0,
        wallet=0,
        granted=-1,
        referrer=-1,
        confirmed=False,
        live_gift_orders=0,
    ) -> int:
        """A member with these balances; its tier follows from contribution and grant. Balances
        are taken as they are: the caller keeps the system accounts in step."""
        self.points.append(points)
        self.energy.append(energy)
        self.contribution.append(contribution)
        self.wallet.append(wallet)
        self.tier.append(0)
        self.granted.append(granted)
        self.referrer.append(referrer)
        self.confirmed.append(confirmed)
        self.open_entries.append(0)
        self.live_gift_orders.append(live_gift_orders)
        self.weighted.append(0)
        self.lots.append(deque() if self.keep_lots else None)
        member = len(self.points) - 1
        self.rank(member)
        return member

    def add_lot(self, member: int, points: int, expires_on: int = NEVER) -> list:
        """Points of `member` usable through day `expires_on`, placed in expiry order."""
        lot = [expires_on, member, points]
        for lots in (self.lots[member], self.all_lots):
            # Lots almost always arrive in expiry order: appending is the common case.
            if lots and lots[-1][0] > expires_on:
                index = next(i for i, other in enumerate(lots) if other[0] > expires_on)
                lots.insert(index, lot)
            else:
                lots.append(lot)
        return lot

    def add_entry(self, entry: Entry) -> Entry:
        """An entry at the tail of the queue (entries are added in confirmation order)."""
        self.queue.append(entry)
        if entry.status == WAITING:
            self.waiting += 1
            self.open_entries[entry.member] += 1
            self.waiting_remaining += entry.target - entry.received
        return entry

    def rank(self, member: int) -> int:
        """The highest tier reached by contribution, or the granted one if higher."""
        terms = self.terms
        contribution = self.contribution[member]
        reached = bisect_right(terms.tier_min, contribution) - 1
        granted = self.granted[member]
        tier = self.tier[member] = reached if reached > granted else granted
        self.weighted[member] = rules.weighted_contribution(contribution, terms.tier_weight[tier])
        return tier

    # Reading it ------------------------------------------------------------------------------

    def member_count(self) -> int:
        return len(self.points)

    def referral_depth(self, member: int) -> int:
        depth, current = 0, member
        while self.referrer[current] >= 0:
            depth += 1
            current = self.referrer[current]
        return depth

    def outstanding_points(self) -> int:
        """points.outstanding_points: what was issued less what was returned or written off."""
        return -(self.points_issued + self.write_off_points)

    def point_value(self) -> Decimal:
        """points.point_value: never above the backing per outstanding point."""
        terms = self.terms
        outstanding = self.outstanding_points()
        backed = rules.backed_point_value(
            rules.from_minor(self.backing, terms.places), Decimal(outstanding)
        )
        if terms.backed_mode:
            return backed
        scheduled = self.scheduled_value
        if scheduled is None:
            scheduled = terms.point_value_initial
        scheduled = min(scheduled, terms.point_value_max)
        return min(scheduled, backed) if outstanding > 0 else scheduled

    def tier_counts(self) -> list[int]:
        """Members with a confirmed order, by tier."""
        counts = [0] * len(self.terms.tier_weight)
        for member, confirmed in enumerate(self.confirmed):
            if confirmed:
                counts[self.tier[member]] += 1
        return counts

    def round_down(self, amount: Decimal) -> int:
        return rules.to_minor(amount, self.terms.places)
