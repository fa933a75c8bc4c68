"""A reference model of one channel, written straight from DESIGN §5–§8: slow and obvious.

Exact fractions everywhere, rounded down only where DESIGN rounds (to the cent, to whole points,
to 8 places for a point's value); dictionaries and lists instead of columns; every figure
recomputed from scratch when it is needed. It shares no code with the kernel, only the parsed
configuration it reads its numbers from. The oracle tests hold the kernel to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

CENT = Fraction(1, 100)
VALUE_STEP = Fraction(1, 10**8)


def cents(x) -> Fraction:
    """Round down to the cent (DESIGN §3: every split rounds down)."""
    return Fraction(math.floor(Fraction(x) / CENT)) * CENT


def whole(x) -> int:
    return math.floor(Fraction(x))


def frac(decimal) -> Fraction:
    return Fraction(decimal)


@dataclass
class Customer:
    referrer: int | None
    points: int = 0
    energy: Fraction = Fraction(0)
    contribution: Fraction = Fraction(0)
    wallet: Fraction = Fraction(0)
    granted: int = -1  # tier rank granted by a gift package, -1: none
    lots: list = field(default_factory=list)  # [last usable day, points left], in earn order


@dataclass
class QueuedOrder:
    ref: object
    customer: int
    original: Fraction
    target: Fraction
    received: Fraction = Fraction(0)
    status: str = "waiting"
    expires: int | None = None


@dataclass
class PaidOrder:
    customer: int | None
    amount: Fraction
    gift: Fraction
    points: int = 0
    energy: Fraction = Fraction(0)
    refunded: Fraction = Fraction(0)
    rewards: list = field(default_factory=list)  # [(referrer, reward)]
    entry: QueuedOrder | None = None


class Refusal(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


class ReferenceChannel:
    def __init__(self, config):
        self.c = config
        self.customers: list[Customer] = []
        self.orders: dict = {}
        self.voided: set = set()
        self.queue: list[QueuedOrder] = []  # every entry ever, in confirmation order
        self.dividend_pool = self.release_pool = self.backing = Fraction(0)
        self.funded = Fraction(0)  # what the platform has put in, net of what came back
        self.written_off = Fraction(0)
        self.points_written_off = 0
        self.gift_cards = Fraction(0)
        self.withdrawals_pending = self.withdrawals_paid = Fraction(0)
        self.scheduled = None  # mode rate: (day, value) of the last appreciation
        self.releases: dict = {}  # (day, customer) -> amount

    # Reading ---------------------------------------------------------------------------------

    def tier(self, n: int) -> int:
        """The highest tier reached by contribution, or the granted one if higher (§8)."""
        customer = self.customers[n]
        reached = max(
            (
                rank
                for rank, t in enumerate(self.c.tiers)
                if customer.contribution >= frac(t.min_contribution)
            ),
            default=0,
        )
        return max(reached, customer.granted)

    def chain(self, n: int) -> list[int]:
        referrers, current = [], self.customers[n].referrer
        while current is not None:
            referrers.append(current)
            current = self.customers[current].referrer
        return referrers

    def waiting(self) -> list[QueuedOrder]:
        return [e for e in self.queue if e.status == "waiting"]

    def outstanding_points(self) -> int:
        return sum(c.points for c in self.customers)

    def point_value(self) -> Fraction:
        """§7: mode backed pays backing / outstanding; mode rate the schedule, never above it."""
        outstanding = self.outstanding_points()
        backed = Fraction(0)
        if outstanding > 0:
            backed = math.floor(self.backing / outstanding / VALUE_STEP) * VALUE_STEP
        if self.c.point_value_mode == "backed":
            return backed
        scheduled = (
            frac(self.c.point_value_initial) if self.scheduled is None else self.scheduled[1]
        )
        scheduled = min(scheduled, frac(self.c.point_value_max))
        return min(scheduled, backed) if outstanding > 0 else scheduled

    # Events ------------------------------------------------------------------------------------

    def add_customer(self, referrer: int | None) -> int:
        self.customers.append(Customer(referrer))
        return len(self.customers) - 1

    def void(self, ref) -> None:
        if ref not in self.orders:
            self.voided.add(ref)

    def confirm(self, ref, n: int | None, amount_cents: int, gift_cents: int, now: int, day: int):
        c = self.c
        if ref in self.voided or ref in self.orders:
            return
        amount, gift = Fraction(amount_cents, 100), Fraction(gift_cents, 100)
        order = self.orders[ref] = PaidOrder(n, amount, gift)
        # 1. Funding.
        to_pool = cents(frac(c.dividend_ratio) * amount) if c.dividend_enabled else 0
        release = cents(frac(c.release_ratio) * amount)
        backing = cents(frac(c.points_backing_ratio) * amount)
        self.release_pool += release
        self.backing += backing
        self.funded += to_pool + release + backing
        if n is not None and c.referral_mode != "off":
            for ratio, referrer in zip(c.referral_ratios, self.chain(n), strict=False):
                share = cents(frac(ratio) * amount)
                self.funded += share
                if c.referral_mode == "chain":
                    self.customers[referrer].wallet += share
                    if share:
                        order.rewards.append((referrer, share))
                else:
                    to_pool += share
        self.dividend_pool += to_pool
        # 2. The pool pays the entries ahead of this order.
        if c.dividend_enabled:
            self.expire_entries(now)
            self.pay_queue()
        if n is None:
            return
        customer = self.customers[n]
        # 3. The order joins the tail.
        mine = [e for e in self.waiting() if e.customer == n]
        if (
            c.dividend_enabled
            and amount > 0
            and frac(c.queue_min_amount) <= amount
            and len(self.waiting()) < c.queue_max_length
            and len(mine) < c.queue_max_entries_per_member
        ):
            target = cents(frac(c.free_ratio) * min(amount, frac(c.queue_max_amount)))
            if target > 0:
                expires = now + c.queue_ttl_days * 86400 if c.queue_ttl_days else None
                order.entry = QueuedOrder(ref, n, target, target, expires=expires)
                self.queue.append(order.entry)
        # 4. Points at the current tier, energy, contribution.
        tier = c.tiers[self.tier(n)]
        order.points = whole(amount * frac(c.points_per_unit) * frac(tier.points_multiplier))
        order.energy = cents(
            (amount - gift) * frac(c.energy_multiplier)
            + gift * frac(c.gift_package_energy_multiplier)
        )
        customer.points += order.points
        customer.energy += order.energy
        customer.contribution += amount
        if order.points and c.points_expire_days:
            customer.lots.append([day + c.points_expire_days, order.points])
        # 5. A gift package grants its tier.
        if gift > 0:
            customer.granted = max(customer.granted, c.tier_rank(c.gift_package_tier))

    def expire_entries(self, now: int) -> None:
        for entry in self.waiting():
            if entry.expires is not None and entry.expires <= now:
                entry.status = "expired"

    def pay_queue(self) -> None:
        if self.dividend_pool <= 0:
            return
        if self.c.payout_mode == "fifo":
            for entry in self.waiting():
                pay = min(entry.target - entry.received, self.dividend_pool)
                self.pay(entry, pay)
                if self.dividend_pool == 0:
                    break
        else:
            head = self.waiting()[: self.c.even_k]
            if head:
                share = cents(self.dividend_pool / len(head))
                for entry in head:
                    self.pay(entry, min(entry.target - entry.received, share))

    def pay(self, entry: QueuedOrder, amount: Fraction) -> None:
        if amount <= 0:
            return
        self.dividend_pool -= amount
        self.customers[entry.customer].wallet += amount
        entry.received += amount
        if entry.received == entry.target:
            entry.status = "freed"

    def refund(self, ref, refunded_cents: int) -> None:
        """§5: reverse R/A of the order's points, unreleased energy and contribution; shrink its
        entry and claw back what it received above the new target; shortfalls are written off
        and never reach a pool (§11 rule 8)."""
        order = self.orders.get(ref)
        if order is None or order.amount <= 0:
            return
        new = min(Fraction(refunded_cents, 100), order.amount)
        old = order.refunded
        if new <= old:
            return
        order.refunded = new
        if order.customer is None:
            return
        customer = self.customers[order.customer]
        amount = order.amount

        points_due = whole(order.points * new / amount) - whole(order.points * old / amount)
        taken = min(points_due, customer.points)
        customer.points -= taken
        self.points_written_off += points_due - taken
        self.take_points(customer, taken, usable_on=None)
        energy_due = cents(order.energy * new / amount) - cents(order.energy * old / amount)
        customer.energy -= min(energy_due, customer.energy)
        customer.contribution -= new - old

        entry = order.entry
        if entry is not None:
            target = cents(entry.original * (amount - new) / amount)
            if target < entry.target:
                excess = max(entry.received - target, Fraction(0))
                recovered = min(excess, customer.wallet)
                customer.wallet -= recovered
                self.dividend_pool += recovered
                self.written_off += excess - recovered
                self.funded -= excess - recovered
                entry.received = min(entry.received, target)
                if target == 0:
                    entry.status = "cancelled"
                elif entry.status == "waiting" and entry.received == target:
                    entry.status = "freed"
                entry.target = target

        for referrer, reward in order.rewards:
            due = cents(reward * new / amount) - cents(reward * old / amount)
            wallet = self.customers[referrer].wallet
            recovered = min(due, wallet)
            self.customers[referrer].wallet -= recovered
            self.funded -= due
            self.written_off += due - recovered

        if new == amount and order.gift > 0:
            still = any(
                o.customer == order.customer and o.gift > 0 and o.refunded < o.amount
                for o in self.orders.values()
            )
            if not still:
                customer.granted = -1

    def take_points(self, customer: Customer, points: int, usable_on: int | None) -> None:
        """Soonest-expiring first; a redemption leaves lots past their last day alone."""
        for lot in sorted(customer.lots, key=lambda lot: lot[0]):
            if points == 0:
                break
            if usable_on is not None and lot[0] < usable_on:
                continue
            take = min(lot[1], points)
            lot[1] -= take
            points -= take
        customer.lots = [lot for lot in customer.lots if lot[1] > 0]

    def redeem(self, n: int, points: int, day: int) -> int:
        customer = self.customers[n]
        if points <= 0:
            raise Refusal("INVALID")
        if points < self.c.points_min_redemption:
            raise Refusal("BELOW_MINIMUM")
        spendable = customer.points
        if self.c.points_expire_days:
            spendable = sum(left for last, left in customer.lots if last >= day)
        if points > spendable:
            raise Refusal("INSUFFICIENT")
        credit = cents(points * self.point_value())
        if credit <= 0:
            raise Refusal("WORTHLESS")
        customer.points -= points
        self.take_points(customer, points, usable_on=day)
        self.backing -= credit
        customer.wallet += credit
        return credit

    def convert(self, n: int, amount_cents: int) -> None:
        amount = Fraction(amount_cents, 100)
        customer = self.customers[n]
        if amount <= 0 or amount > customer.wallet:
            raise Refusal("INVALID" if amount <= 0 else "INSUFFICIENT")
        customer.wallet -= amount
        self.gift_cards += amount

    def adjust(self, n: int, kind: str, amount: int, day: int) -> None:
        """A staff correction: wallet credit from (or back to) the platform, points issued as a
        new lot or taken soonest-expiring first; never below zero."""
        customer = self.customers[n]
        if amount == 0:
            raise Refusal("INVALID")
        if kind == "wallet":
            change = Fraction(amount, 100)
            if customer.wallet + change < 0:
                raise Refusal("INSUFFICIENT")
            customer.wallet += change
            self.funded += change
        else:
            if customer.points + amount < 0:
                raise Refusal("INSUFFICIENT")
            customer.points += amount
            if amount > 0 and self.c.points_expire_days:
                customer.lots.append([day + self.c.points_expire_days, amount])
            elif amount < 0:
                self.take_points(customer, -amount, usable_on=None)

    def withdraw(self, n: int, amount_cents: int) -> None:
        """Set credit aside until staff decide; a rejected request gives it back."""
        amount = Fraction(amount_cents, 100)
        customer = self.customers[n]
        if not self.c.withdrawals_enabled:
            raise Refusal("WITHDRAWALS_DISABLED")
        if amount < frac(self.c.min_withdrawal):
            raise Refusal("BELOW_MINIMUM")
        if amount <= 0 or amount > customer.wallet:
            raise Refusal("INVALID" if amount <= 0 else "INSUFFICIENT")
        customer.wallet -= amount
        self.withdrawals_pending += amount

    def decide(self, n: int, amount_cents: int, approve: bool) -> None:
        amount = Fraction(amount_cents, 100)
        self.withdrawals_pending -= amount
        if approve:
            self.withdrawals_paid += amount
        else:
            self.customers[n].wallet += amount

    def settle(self, day: int, end_of_day: int):
        """§8 release, §7 appreciation, queue and points expiry, for `day`."""
        holders = [n for n, c in enumerate(self.customers) if c.energy > 0]
        weight = {
            n: self.customers[n].contribution * frac(self.c.tiers[self.tier(n)].release_weight)
            for n in holders
        }
        total = sum(weight.values(), Fraction(0))
        budget = self.release_pool
        if budget > 0 and total > 0:
            for n in holders:
                customer = self.customers[n]
                amount = min(customer.energy, cents(weight[n] * budget / total))
                if amount > 0:
                    customer.energy -= amount
                    customer.wallet += amount
                    self.release_pool -= amount
                    self.releases[day, n] = amount
        if self.c.point_value_mode == "rate":
            if self.scheduled is None:
                self.scheduled = (day, frac(self.c.point_value_initial))
            else:
                since, value = self.scheduled
                cap = frac(self.c.point_value_max)
                for _ in range(day - since):
                    grown = min(value, cap) * (1 + frac(self.c.point_daily_appreciation))
                    value = min(math.floor(grown / VALUE_STEP) * VALUE_STEP, cap)
                self.scheduled = (max(day, since), value)
        value = self.point_value()
        self.expire_entries(end_of_day)
        for customer in self.customers:
            for lot in customer.lots:
                if lot[0] <= day:
                    customer.points -= lot[1]
                    lot[1] = 0
            customer.lots = [lot for lot in customer.lots if lot[1] > 0]
        return value
