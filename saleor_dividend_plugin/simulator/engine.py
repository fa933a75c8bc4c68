"""The ledger of one channel, in memory: the rules of the database path, fast enough for a year of
a large store.

Every method mirrors one service of the database path and says which; the postings are the same
legs, kept as running balances (integers in minor units, points as integers). The replay test
(`tests/test_simulator_replay.py`) holds both to the same ledger.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from decimal import ROUND_DOWN, Decimal
from itertools import islice

from ..config import ChannelConfig
from ..money import minor_units
from . import rules
from .rules import SCALE, from_minor, scaled

WAITING, FREED, EXPIRED, CANCELLED = "waiting", "freed", "expired", "cancelled"
DAY_SECONDS = 86_400
_WHOLE = Decimal(1)


class Entry:
    """A queue entry (models.QueueEntry)."""

    __slots__ = ("member", "original", "target", "received", "status", "created", "expires")

    def __init__(self, member, target, created, expires):
        self.member = member
        self.original = self.target = target
        self.received = 0
        self.status = WAITING
        self.created = created
        self.expires = expires


class Order:
    """A confirmed order (models.OrderRecord) as far as later refunds need it."""

    __slots__ = ("member", "amount", "gift", "points", "energy", "refunded", "entry", "rewards")

    def __init__(self, member, amount, gift, rewards):
        self.member = member
        self.amount = amount
        self.gift = gift
        self.points = self.energy = self.refunded = 0
        self.entry = None
        # What the order paid each referrer's wallet: (referrer, amount).
        self.rewards = rewards


class Totals:
    """Running totals for the report; `Engine.day` holds those of the current day."""

    __slots__ = (
        "orders",
        "revenue",
        "refunds",
        "funded",
        "pool_funded",
        "queue_paid",
        "referral_paid",
        "released",
        "redeemed",
        "clawed_back",
        "written_off",
        "joined",
        "freed",
        "expired",
        "turned_away",
        "spent",
    )

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, 0)

    def add(self, other: Totals) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Engine:
    def __init__(self, config: ChannelConfig, currency: str, keep_history: bool = False):
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
        self.fifo = c.payout_mode == "fifo"
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

        # System accounts (models.AccountKind), as balances: sources are negative.
        self.platform = self.dividend_pool = self.release_pool = self.backing = 0
        self.write_off = self.write_off_points = self.gift_cards = 0
        self.points_issued = self.energy_issued = self.contribution_issued = 0

        # Members, by index: their accounts and what the rules remember about them.
        self.points: list[int] = []
        self.energy: list[int] = []
        self.contribution: list[int] = []
        self.wallet: list[int] = []
        self.tier: list[int] = []
        self.granted: list[int] = []
        self.referrer: list[int] = []
        self.confirmed: list[bool] = []
        self.open_entries: list[int] = []
        self.live_gift_orders: list[int] = []
        self.lots: list[deque | None] = []
        # contribution x release weight, kept in step by `_update_tier`.
        self.weighted: list[int] = []

        self.queue: deque[Entry] = deque()
        self.waiting = 0
        self.waiting_remaining = 0
        self._all_lots: deque[list] = deque()
        # Mode rate: where the appreciation schedule stood at the last settlement.
        self.scheduled_value: Decimal | None = None
        # For comparing with the database: every release and every day's point value.
        self.keep_history = keep_history
        self.releases: list[tuple[int, int, int]] = []
        self.point_values: dict[int, Decimal] = {}
        self.total = Totals()
        self.day = Totals()
        self.wait_seconds: list[int] = []

    # Members (members.member_for, members.set_referrer) -------------------------------------

    def add_member(self) -> int:
        for column in (
            self.points,
            self.energy,
            self.contribution,
            self.wallet,
            self.tier,
            self.open_entries,
            self.live_gift_orders,
            self.weighted,
        ):
            column.append(0)
        self.granted.append(-1)
        self.referrer.append(-1)
        self.confirmed.append(False)
        self.lots.append(deque() if self.points_expire_days else None)
        return len(self.points) - 1

    def set_referrer(self, member: int, referrer: int) -> None:
        """The caller has checked what `set_referrer` checks (first order, cycles, depth)."""
        if self.confirmed[member] or self.referrer[member] >= 0:
            raise ValueError("a referrer can only be set once, before the first paid order")
        self.referrer[member] = referrer

    def referral_depth(self, member: int) -> int:
        depth, current = 0, member
        while self.referrer[current] >= 0:
            depth += 1
            current = self.referrer[current]
        return depth

    # Orders (lifecycle._confirm, lifecycle._refund, dividend.*) ------------------------------

    def confirm(self, member: int | None, amount: int, gift: int, now: int, day: int) -> Order:
        """A fully paid order of qualifying `amount` (of which `gift` on gift packages)."""
        totals = self.day
        totals.orders += 1
        totals.revenue += amount
        # 1. Funding from the platform.
        # round_down(ratio x amount) in minor units.
        to_pool = amount * self.dividend_ratio // SCALE if self.dividend_enabled else 0
        release = amount * self.release_ratio // SCALE
        backing = amount * self.backing_ratio // SCALE
        to_referrers = 0
        rewards = []
        if member is not None and self.referral:
            referrer = self.referrer[member]
            for ratio in self.referral:
                if referrer < 0:
                    break
                cut = amount * ratio // SCALE
                if self.referral_to_wallet:
                    self.wallet[referrer] += cut
                    to_referrers += cut
                    if cut:
                        rewards.append((referrer, cut))
                else:
                    to_pool += cut
                referrer = self.referrer[referrer]
        funded = to_pool + release + backing + to_referrers
        self.platform -= funded
        self.dividend_pool += to_pool
        self.release_pool += release
        self.backing += backing
        totals.funded += funded
        totals.pool_funded += to_pool
        totals.referral_paid += to_referrers
        # 2. The pool pays the queue ahead of this order.
        if self.dividend_enabled:
            self._pay_queue(now)
        order = Order(member, amount, gift, rewards)
        if member is None:
            return order
        # 3. The order joins the queue.
        self._join_queue(order, now)
        # 4. Points, energy, contribution at the member's current tier.
        points = amount * self.points_per_unit * self.tier_points[self.tier[member]]
        points //= self.points_divisor
        energy = (amount - gift) * self.energy_multiplier + gift * self.gift_energy_multiplier
        energy //= SCALE
        order.points, order.energy = points, energy
        self.points[member] += points
        self.points_issued -= points
        self.energy[member] += energy
        self.energy_issued -= energy
        self.contribution[member] += amount
        self.contribution_issued -= amount
        if points > 0 and self.points_expire_days:
            lot = [day + self.points_expire_days, member, points]
            self.lots[member].append(lot)
            self._all_lots.append(lot)
        # 5. Tier by contribution, or granted by a gift package if higher.
        self.confirmed[member] = True
        if gift > 0:
            self.live_gift_orders[member] += 1
            if self.gift_rank > self.granted[member]:
                self.granted[member] = self.gift_rank
        self._update_tier(member)
        return order

    def _pay_queue(self, now: int) -> None:
        """dividend.pay_queue: expire, then pay waiting entries from the whole pool balance.
        fifo pays the head in full, then the next, until the pool is empty; even splits the
        pool equally (rounded down) among the first `even_k` waiting, each capped at what it
        still needs."""
        if self.ttl:
            self._expire_entries(now)
        available = self.dividend_pool
        if available <= 0:
            return
        queue = self.queue
        if self.fifo:
            # Closed entries never stay at the head, so the waiting ones are paid from there.
            paid = []
            for entry in queue:
                if entry.status != WAITING:
                    continue
                pay = entry.target - entry.received
                if pay > available:
                    pay = available
                paid.append((entry, pay))
                available -= pay
                if available == 0:
                    break
        else:
            head = list(islice((e for e in queue if e.status == WAITING), self.config.even_k))
            each = available // len(head) if head else 0
            paid = [(entry, min(entry.target - entry.received, each)) for entry in head]
        total = freed = 0
        wallet, open_entries = self.wallet, self.open_entries
        for entry, pay in paid:
            if pay <= 0:
                continue
            total += pay
            member = entry.member
            wallet[member] += pay
            entry.received += pay
            if entry.received == entry.target:
                entry.status = FREED
                open_entries[member] -= 1
                freed += 1
                self.wait_seconds.append(now - entry.created)
        self.waiting -= freed
        self.dividend_pool -= total
        self.waiting_remaining -= total
        totals = self.day
        totals.freed += freed
        totals.queue_paid += total
        while queue and queue[0].status != WAITING:
            queue.popleft()

    def _expire_entries(self, now: int) -> None:
        """dividend.expire_entries. Entries expire in queue order: all have the same lifetime."""
        if not self.ttl:
            return
        queue = self.queue
        while queue and (queue[0].status != WAITING or queue[0].expires <= now):
            entry = queue.popleft()
            if entry.status == WAITING:
                entry.status = EXPIRED
                self.waiting -= 1
                self.open_entries[entry.member] -= 1
                self.waiting_remaining -= entry.target - entry.received
                self.day.expired += 1

    def _join_queue(self, order: Order, now: int) -> None:
        """dividend.qualifies_for_queue and dividend.join_queue."""
        if not self.dividend_enabled:
            return
        amount = order.amount
        if amount <= 0 or amount * SCALE < self.queue_min:
            return
        if self.waiting >= self.config.queue_max_length:
            self.day.turned_away += 1
            return
        member = order.member
        if self.open_entries[member] >= self.config.queue_max_entries_per_member:
            return
        target = self.free_ratio * min(amount * SCALE, self.queue_max_amount) // (SCALE * SCALE)
        if target <= 0:
            return
        # Appended at the tail: the queue's order is confirmation order.
        entry = Entry(member, target, now, now + self.ttl if self.ttl else None)
        order.entry = entry
        self.queue.append(entry)
        self.waiting += 1
        self.open_entries[member] += 1
        self.waiting_remaining += target
        self.day.joined += 1

    def refund(self, order: Order, refunded: int) -> bool:
        """lifecycle._refund: `refunded` is the order's cumulative refund in minor units."""
        new = min(refunded, order.amount)
        old = order.refunded
        if new <= old or order.amount <= 0:
            return False
        order.refunded = new
        self.day.refunds += new - old
        member = order.member
        if member is None:
            return True
        places = self.places
        amount, new_d, old_d = (from_minor(x, places) for x in (order.amount, new, old))
        remaining = (amount - new_d) / amount
        points = Decimal(order.points)
        points_due = self._whole(points * new_d / amount) - self._whole(points * old_d / amount)
        energy = from_minor(order.energy, places)
        energy_due = self.round_down(energy * new_d / amount) - self.round_down(
            energy * old_d / amount
        )
        points_taken = min(points_due, self.points[member])
        self.points[member] -= points_taken
        self.points_issued += points_due
        self.write_off_points -= points_due - points_taken
        energy_taken = min(energy_due, self.energy[member])
        self.energy[member] -= energy_taken
        self.energy_issued += energy_taken
        self.contribution[member] -= new - old
        self.contribution_issued += new - old
        if points_taken > 0:
            self._consume_lots(member, points_taken)
        if order.entry is not None:
            self._shrink_entry(order.entry, remaining)
        if order.rewards:
            self._claw_back_referral_rewards(order, amount, new_d, old_d)
        if new == order.amount and order.gift > 0:
            self.live_gift_orders[member] -= 1
            if self.granted[member] >= 0 and not self.live_gift_orders[member]:
                self.granted[member] = -1
        self._update_tier(member)
        return True

    def round_down(self, amount: Decimal) -> int:
        return rules.to_minor(amount, self.places)

    @staticmethod
    def _whole(points: Decimal) -> int:
        return int(points.quantize(_WHOLE, rounding=ROUND_DOWN))

    def _shrink_entry(self, entry: Entry, remaining: Decimal) -> None:
        """dividend.shrink_entry."""
        target = self.round_down(from_minor(entry.original, self.places) * remaining)
        if target >= entry.target:
            return
        excess = max(entry.received - target, 0)
        if excess > 0:
            recovered = min(excess, self.wallet[entry.member])
            self.wallet[entry.member] -= recovered
            # Only what the wallet gives back refills the pool; the shortfall is written off
            # against the platform (DESIGN §11 rule 8).
            self.dividend_pool += recovered
            self.platform += excess - recovered
            self.write_off -= excess - recovered
            self.day.funded -= excess - recovered
            self.day.clawed_back += recovered
            self.day.written_off += excess - recovered
        received = min(entry.received, target)
        was_waiting = entry.status == WAITING
        if target == 0:
            status = CANCELLED
        elif was_waiting and received == target:
            status = FREED
        else:
            status = entry.status
        if was_waiting:
            self.waiting_remaining -= entry.target - entry.received
            if status == WAITING:
                self.waiting_remaining += target - received
            else:
                self.waiting -= 1
                self.open_entries[entry.member] -= 1
        entry.target, entry.received, entry.status = target, received, status

    def _claw_back_referral_rewards(self, order: Order, amount, new, old) -> None:
        """dividend.claw_back_referral_rewards: the refunded share of each referral reward goes
        back to the platform; what the referrer's wallet no longer holds is written off."""
        places = self.places
        for referrer, reward in order.rewards:
            reward = from_minor(reward, places)
            due = self.round_down(reward * new / amount) - self.round_down(reward * old / amount)
            recovered = min(due, self.wallet[referrer])
            self.wallet[referrer] -= recovered
            self.platform += due
            self.write_off -= due - recovered
            self.day.funded -= due
            self.day.referral_paid -= due
            self.day.written_off += due - recovered

    def _update_tier(self, member: int) -> None:
        """members.update_tier: the highest tier reached by contribution, or the granted one."""
        contribution = self.contribution[member]
        reached = bisect_right(self.tier_min, contribution) - 1
        granted = self.granted[member]
        tier = self.tier[member] = reached if reached > granted else granted
        self.weighted[member] = contribution * self.tier_weight[tier]

    # Points (points.redeem, points.point_value, points.consume_lots) ------------------------

    def outstanding_points(self) -> int:
        """points.outstanding_points: what was issued less what was returned or written off."""
        return -(self.points_issued + self.write_off_points)

    def point_value(self) -> Decimal:
        """points.point_value: never above the backing per outstanding point."""
        outstanding = self.outstanding_points()
        backed = rules.backed_point_value(
            from_minor(self.backing, self.places), Decimal(outstanding)
        )
        if self.config.point_value_mode == "backed":
            return backed
        scheduled = self.scheduled_value
        if scheduled is None:
            scheduled = self.config.point_value_initial
        scheduled = min(scheduled, self.config.point_value_max)
        return min(scheduled, backed) if outstanding > 0 else scheduled

    def redeem(self, member: int, points: int) -> int:
        """Burn `points` for today's value into the wallet; 0 when the rules refuse."""
        if points <= 0 or points < self.config.points_min_redemption:
            return 0
        if points > self.points[member]:
            return 0
        value = self.point_value()
        credit = self.round_down(points * value)
        if credit <= 0:
            return 0
        self.points[member] -= points
        self.points_issued += points
        self.backing -= credit
        self.wallet[member] += credit
        self.day.redeemed += credit
        self._consume_lots(member, points)
        return credit

    def _consume_lots(self, member: int, points: int) -> None:
        lots = self.lots[member]
        if lots is None:
            return
        while points > 0 and lots:
            lot = lots[0]
            take = min(lot[2], points)
            lot[2] -= take
            points -= take
            if lot[2] == 0:
                lots.popleft()

    def spend_wallet(self, member: int, amount: int) -> None:
        """Wallet credit turned into a gift card (wallet -> gift cards issued)."""
        amount = min(amount, self.wallet[member])
        self.wallet[member] -= amount
        self.gift_cards += amount
        self.day.spent += amount

    # Daily settlement (settlement._settle_locked) ---------------------------------------------

    def settle(self, day: int, end_of_day: int) -> None:
        """Release, appreciation and expiry of `day` (a date ordinal). Everything before the day's
        end has been applied and nothing after it (the release budget counts days <= `day`)."""
        self._release(day)
        config = self.config
        if config.point_value_mode == "rate":
            self.scheduled_value = rules.scheduled_point_value(
                self.scheduled_value,
                config.point_value_initial,
                config.point_daily_appreciation,
                config.point_value_max,
            )
        if self.keep_history:
            self.point_values[day] = self.point_value()
        self._expire_entries(end_of_day)
        if self.points_expire_days:
            self._expire_points(day)

    def _release(self, day: int) -> None:
        """release.run_release, over all members at once (this runs for every member every
        day)."""
        budget = self.release_pool
        if budget <= 0:
            return
        energy, weights = self.energy, self.weighted
        # Only members holding energy share in the day's release.
        weighted = sum([w for w, held in zip(weights, energy, strict=True) if held])
        if weighted <= 0:
            return
        unit = rules.release_unit(budget, weighted)
        amounts = rules.release_amounts(weights, energy, unit)
        released = sum(amounts)
        if released <= 0:
            return
        self.energy = [held - a for held, a in zip(energy, amounts, strict=True)]
        self.wallet = [credit + a for credit, a in zip(self.wallet, amounts, strict=True)]
        if self.keep_history:
            self.releases += [(day, m, amount) for m, amount in enumerate(amounts) if amount]
        self.release_pool -= released
        self.energy_issued += released
        self.day.released += released

    def _expire_points(self, day: int) -> None:
        """points.expire_points: what is left of lots expiring on or before `day` is burnt."""
        lots = self._all_lots
        while lots and lots[0][0] <= day:
            _, member, remaining = lot = lots.popleft()
            if remaining:
                self.points[member] -= remaining
                self.points_issued += remaining
                lot[2] = 0

    # Figures -----------------------------------------------------------------------------------

    def close_day(self) -> Totals:
        """The totals of the day that ends, added to the running totals; a new day begins."""
        ended, self.day = self.day, Totals()
        self.total.add(ended)
        return ended

    def member_count(self) -> int:
        return len(self.points)

    def tier_counts(self) -> list[int]:
        counts = [0] * len(self.tier_weight)
        for index, confirmed in enumerate(self.confirmed):
            if confirmed:
                counts[self.tier[index]] += 1
        return counts
