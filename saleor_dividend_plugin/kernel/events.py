"""The rules of DESIGN §5–§8, applied to a `ChannelState` one event at a time.

Each function changes the state and hands every movement it makes to `fx` (an `Effects`, or any
sink with its methods), together with the members, queue entries and lots whose rows changed.
Nothing here reads a clock, a database or a random source: the same state and the same events
give the same movements. Times are seconds since the epoch, days are date ordinals in the
channel's timezone; a shell supplies both. Idempotency keys start with the event's reference: an
order's `ref`, the day, or the `ref` a shell gives a request.

A request the rules refuse (too few points, not enough credit) raises `Refused` and changes
nothing. Order events are never refused: what does not apply (a charge reported on a void order,
a refund that is not more than the last one) changes nothing and returns False or 0.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from itertools import islice

from . import rules
from .movements import (
    CONTRIB,
    CONTRIBUTION,
    CONTRIBUTION_ISSUED,
    DIVIDEND_POOL,
    ENERGY,
    ENERGY_ISSUED,
    ENERGY_UNIT,
    GIFT_CARDS,
    PLATFORM,
    POINTS,
    POINTS_BACKING,
    POINTS_ISSUED,
    PTS,
    RELEASE_POOL,
    WALLET,
    WITHDRAWALS_PAID,
    WITHDRAWALS_PENDING,
    WRITE_OFF,
    WRITE_OFF_POINTS,
)
from .rules import SCALE, from_minor
from .state import (
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    FREED,
    NEVER,
    PENDING,
    VOID,
    WAITING,
    ChannelState,
    Entry,
    Order,
)

_WHOLE = Decimal(1)
_POINT_VALUE_PLACES = rules.POINT_VALUE_PLACES


class Refused(ValueError):
    """A request the rules do not allow; `code` names why (as the GraphQL errors do)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# Orders (DESIGN §5, §6, §7 earning, §8 energy and tiers) -----------------------------------------


def void(state: ChannelState, order: Order) -> bool:
    """Cancelled or expired before payment: final, a later charge confirms nothing."""
    if order.status != PENDING:
        return False
    order.status = VOID
    return True


def confirm(state: ChannelState, order: Order, now: int, day: int, fx) -> bool:
    """The order is fully paid: fund the pools, pay the queue ahead of it, queue it, earn."""
    if order.status != PENDING:
        return False
    order.status = CONFIRMED
    terms = state.terms
    unit = terms.currency
    ref, amount, member = order.ref, order.amount, order.member
    # 1. Funding from the platform: round_down(ratio x amount) each, in minor units.
    to_pool = amount * terms.dividend_ratio // SCALE if terms.dividend_enabled else 0
    release = amount * terms.release_ratio // SCALE
    backing = amount * terms.backing_ratio // SCALE
    funded = release + backing
    if member is not None and terms.referral:
        rewards, wallet = order.rewards, state.wallet
        referrer = state.referrer[member]
        for ratio in terms.referral:
            if referrer < 0:
                break
            cut = amount * ratio // SCALE
            if terms.referral_to_wallet:
                if cut:
                    wallet[referrer] += cut
                    funded += cut
                    rewards.append((referrer, cut))
                    fx.transfer(
                        "order_funding",
                        (ref, "funding", 3 + len(rewards)),
                        PLATFORM,
                        (WALLET, referrer),
                        cut,
                        unit,
                    )
                    fx.member(referrer)
            else:
                to_pool += cut
            referrer = state.referrer[referrer]
    state.platform -= funded + to_pool
    state.dividend_pool += to_pool
    state.release_pool += release
    state.backing += backing
    fx.transfer("order_funding", (ref, "funding", 0), PLATFORM, DIVIDEND_POOL, to_pool, unit)
    fx.transfer("order_funding", (ref, "funding", 1), PLATFORM, RELEASE_POOL, release, unit)
    fx.transfer("order_funding", (ref, "funding", 2), PLATFORM, POINTS_BACKING, backing, unit)
    # 2. The pool pays the queue ahead of this order.
    if terms.dividend_enabled:
        pay_queue(state, now, (ref, "payout"), fx)
    if member is None:
        return True
    # 3. The order joins the queue.
    join_queue(state, order, now, fx)
    # 4. Points, energy, contribution at the member's current tier.
    gift = order.gift
    points, energy = earnings(state, member, amount, gift)
    order.points, order.energy = points, energy
    state.points[member] += points
    state.points_issued -= points
    state.energy[member] += energy
    state.energy_issued -= energy
    state.contribution[member] += amount
    state.contribution_issued -= amount
    fx.transfer("order_rewards", (ref, "earn", 0), POINTS_ISSUED, (POINTS, member), points, PTS)
    fx.transfer(
        "order_rewards", (ref, "earn", 1), ENERGY_ISSUED, (ENERGY, member), energy, ENERGY_UNIT
    )
    fx.transfer(
        "order_rewards",
        (ref, "earn", 2),
        CONTRIBUTION_ISSUED,
        (CONTRIBUTION, member),
        amount,
        CONTRIB,
    )
    if points > 0 and state.keep_lots:
        fx.lot(state.add_lot(member, points, _last_usable_day(state, day)))
    # 5. Tier by contribution, or granted by a gift package if higher.
    state.confirmed[member] = True
    if gift > 0:
        state.live_gift_orders[member] += 1
        if terms.gift_rank > state.granted[member]:
            state.granted[member] = terms.gift_rank
    state.rank(member)
    fx.member(member)
    return True


def earnings(state: ChannelState, member: int | None, amount: int, gift: int) -> tuple[int, int]:
    """Points and energy an order of `amount` (of which `gift` on gift packages) earns `member`
    at its current tier: what a pending order expects and what confirming it posts."""
    if member is None:
        return 0, 0
    terms = state.terms
    points = amount * terms.points_per_unit * terms.tier_points[state.tier[member]]
    energy = (amount - gift) * terms.energy_multiplier + gift * terms.gift_energy_multiplier
    return points // terms.points_divisor, energy // SCALE


def _last_usable_day(state: ChannelState, day: int) -> int:
    days = state.terms.points_expire_days
    return day + days if days else NEVER


def pay_queue(state: ChannelState, now: int, key: tuple, fx) -> int:
    """Expire, then pay waiting entries from the whole pool balance: fifo pays the head in full,
    then the next, until the pool is empty; even splits the pool equally (rounded down) among the
    first `even_k` waiting, each capped at what it still needs. Returns what was paid."""
    terms = state.terms
    expire_queue(state, now, fx)
    available = state.dividend_pool
    if available <= 0:
        return 0
    queue = state.queue
    if terms.fifo:
        # Closed entries never stay at the head, so the waiting ones are paid from there.
        paid = []
        for entry in queue:
            if entry.status != WAITING or _expired(state, entry, now, fx):
                continue
            pay = entry.target - entry.received
            if pay > available:
                pay = available
            paid.append((entry, pay))
            available -= pay
            if available == 0:
                break
    else:
        waiting = (e for e in queue if e.status == WAITING and not _expired(state, e, now, fx))
        head = list(islice(waiting, terms.even_k))
        each = available // len(head) if head else 0
        paid = [(entry, min(entry.target - entry.received, each)) for entry in head]
    total = freed = 0
    wallet, open_entries = state.wallet, state.open_entries
    members, amounts = [], []
    for entry, pay in paid:
        if pay <= 0:
            continue
        total += pay
        member = entry.member
        members.append(member)
        amounts.append(pay)
        wallet[member] += pay
        entry.received += pay
        if entry.received == entry.target:
            entry.status = FREED
            open_entries[member] -= 1
            freed += 1
        fx.entry(entry, WAITING, now)
        fx.member(member)
    state.waiting -= freed
    state.dividend_pool -= total
    state.waiting_remaining -= total
    if total:
        fx.to_members("queue_payout", key, DIVIDEND_POOL, WALLET, members, amounts, terms.currency)
    while queue and queue[0].status != WAITING:
        queue.popleft()
    return total


def _expired(state: ChannelState, entry: Entry, now: int, fx) -> bool:
    """Whether waiting `entry` is past its lifetime; if so it leaves the queue unpaid now (what
    it received stays). An entry that joined while entries had no lifetime (queue_ttl_days 0)
    never expires, and one that joined with a lifetime keeps it when the setting changes."""
    if entry.expires is None or entry.expires > now:
        return False
    entry.status = EXPIRED
    state.waiting -= 1
    state.open_entries[entry.member] -= 1
    state.waiting_remaining -= entry.target - entry.received
    fx.entry(entry, WAITING, now)
    return True


def expire_queue(state: ChannelState, now: int, fx) -> int:
    """Waiting entries past their lifetime leave the queue unpaid, from the head. With one
    lifetime for all (the usual case) that is every one of them; after queue_ttl_days changed,
    an entry behind one that lives longer expires when a payout reaches it (`pay_queue`) or at
    the day's end (the store's settlement expires every entry past its lifetime)."""
    queue = state.queue
    expired = 0
    while queue:
        if queue[0].status == WAITING:
            if not _expired(state, queue[0], now, fx):
                break
            expired += 1
        queue.popleft()
    return expired


def join_queue(state: ChannelState, order: Order, now: int, fx) -> Entry | None:
    """dividend.qualifies_for_queue and dividend.join_queue: the tail, in confirmation order."""
    terms = state.terms
    if not terms.dividend_enabled:
        return None
    amount = order.amount
    if amount <= 0 or amount * SCALE < terms.queue_min:
        return None
    if state.waiting >= terms.queue_max_length:
        fx.turned_away()
        return None
    member = order.member
    if state.open_entries[member] >= terms.queue_max_entries:
        return None
    target = terms.free_ratio * min(amount * SCALE, terms.queue_max_amount) // (SCALE * SCALE)
    if target <= 0:
        return None
    entry = Entry(order.ref, member, target, now, now + terms.ttl if terms.ttl else None)
    order.entry = entry
    state.add_entry(entry)
    fx.entry(entry, None, now)
    return entry


def refund(state: ChannelState, order: Order, refunded: int, now: int, fx) -> int:
    """`refunded` is the order's cumulative refund: reverse the share refunded since the last
    one. Returns that newly refunded amount (0: nothing to do)."""
    if order.status != CONFIRMED or order.amount <= 0:
        return 0
    new = min(refunded, order.amount)
    old = order.refunded
    if new <= old:
        return 0
    order.refunded = new
    member = order.member
    if member is None:
        return new - old
    terms = state.terms
    places = terms.places
    amount, new_d, old_d = (from_minor(x, places) for x in (order.amount, new, old))
    key = (order.ref, f"refund:{new_d}")
    # Points: take what the member still holds; the rest is written off.
    points = Decimal(order.points)
    points_due = _whole(points * new_d / amount) - _whole(points * old_d / amount)
    points_taken = min(points_due, state.points[member])
    state.points[member] -= points_taken
    state.points_issued += points_due
    state.write_off_points -= points_due - points_taken
    # Energy: only what has not been released yet; released credit is not clawed back.
    energy = from_minor(order.energy, places)
    energy_due = state.round_down(energy * new_d / amount) - state.round_down(
        energy * old_d / amount
    )
    energy_taken = min(energy_due, state.energy[member])
    state.energy[member] -= energy_taken
    state.energy_issued += energy_taken
    state.contribution[member] -= new - old
    state.contribution_issued += new - old
    reverse = (*key, "reverse")
    fx.transfer("order_reversal", (*reverse, 0), (POINTS, member), POINTS_ISSUED, points_taken, PTS)
    fx.transfer(
        "order_reversal",
        (*reverse, 1),
        WRITE_OFF_POINTS,
        POINTS_ISSUED,
        points_due - points_taken,
        PTS,
    )
    fx.transfer(
        "order_reversal", (*reverse, 2), (ENERGY, member), ENERGY_ISSUED, energy_taken, ENERGY_UNIT
    )
    fx.transfer(
        "order_reversal",
        (*reverse, 3),
        (CONTRIBUTION, member),
        CONTRIBUTION_ISSUED,
        new - old,
        CONTRIB,
    )
    if points_taken > 0:
        consume_lots(state, member, points_taken, None, fx)
    if order.entry is not None:
        _shrink_entry(state, order, (*key, "clawback"), now, fx)
    if order.rewards:
        _claw_back_referral_rewards(state, order, amount, new_d, old_d, (*key, "referral"), fx)
    # A fully refunded gift package no longer grants its tier.
    if new == order.amount and order.gift > 0:
        state.live_gift_orders[member] -= 1
        if state.granted[member] >= 0 and not state.live_gift_orders[member]:
            state.granted[member] = -1
    state.rank(member)
    fx.member(member)
    return new - old


def _whole(points: Decimal) -> int:
    return int(points.quantize(_WHOLE, rounding=ROUND_DOWN))


def _shrink_entry(state: ChannelState, order: Order, key, now, fx) -> None:
    """The entry's target becomes original x the share not refunded, rounded down once (the
    exact product, not a rounded share: a third of 1.50 is 0.50). What it received above that
    comes back from the wallet to the pool; what the wallet no longer holds is written off, and
    does not reach the pool (DESIGN §11 rule 8): the pool only holds what paid orders funded or
    what a wallet gave back."""
    entry = order.entry
    target = entry.original * (order.amount - order.refunded) // order.amount
    if target >= entry.target:
        return
    excess = max(entry.received - target, 0)
    if excess > 0:
        member = entry.member
        recovered = min(excess, state.wallet[member])
        shortfall = excess - recovered
        state.wallet[member] -= recovered
        state.dividend_pool += recovered
        state.write_off -= shortfall
        state.platform += shortfall
        unit = state.terms.currency
        fx.transfer("queue_clawback", (*key, 0), (WALLET, member), DIVIDEND_POOL, recovered, unit)
        fx.transfer("queue_clawback", (*key, 1), WRITE_OFF, PLATFORM, shortfall, unit)
        fx.member(member)
    received = min(entry.received, target)
    previous = entry.status
    if target == 0:
        status = CANCELLED
    elif previous == WAITING and received == target:
        status = FREED
    else:
        status = previous
    if previous == WAITING:
        state.waiting_remaining -= entry.target - entry.received
        if status == WAITING:
            state.waiting_remaining += target - received
        else:
            state.waiting -= 1
            state.open_entries[entry.member] -= 1
    entry.target, entry.received, entry.status = target, received, status
    fx.entry(entry, previous, now)


def _claw_back_referral_rewards(state, order: Order, amount, new, old, key, fx) -> None:
    """The refunded share of each referral reward goes back to the platform (partial refunds add
    up to exactly the reward); what the referrer's wallet no longer holds is written off."""
    places, unit = state.terms.places, state.terms.currency
    for n, (referrer, reward) in enumerate(order.rewards):
        reward = from_minor(reward, places)
        due = state.round_down(reward * new / amount) - state.round_down(reward * old / amount)
        recovered = min(due, state.wallet[referrer])
        state.wallet[referrer] -= recovered
        state.platform += due
        state.write_off -= due - recovered
        fx.transfer(
            "referral_clawback", (*key, 2 * n), (WALLET, referrer), PLATFORM, recovered, unit
        )
        fx.transfer(
            "referral_clawback", (*key, 2 * n + 1), WRITE_OFF, PLATFORM, due - recovered, unit
        )
        fx.member(referrer)


# Points (DESIGN §7) ------------------------------------------------------------------------------


def spendable_points(state: ChannelState, member: int, day: int) -> int:
    """Lots past their last day wait to be burnt by the settlement, but cannot be spent."""
    held = state.points[member]
    lots = state.lots[member]
    if lots:
        for expires_on, _, remaining in lots:
            if expires_on >= day:
                break
            held -= remaining
    return held


def redeem(state: ChannelState, member: int, points: int, day: int, ref, fx) -> int:
    """Burn `points` for today's value, rounded down, into the wallet (paid from the backing).
    Returns the credit."""
    terms = state.terms
    if points <= 0:
        raise Refused("INVALID", "Points must be a whole number above zero.")
    if points < terms.points_min_redemption:
        raise Refused(
            "BELOW_MINIMUM", f"At least {terms.points_min_redemption} points must be redeemed."
        )
    spendable = spendable_points(state, member, day)
    if points > spendable:
        raise Refused("INSUFFICIENT", f"You can redeem {spendable} points, not {points}.")
    credit = state.round_down(points * state.point_value())
    if credit <= 0:
        raise Refused("WORTHLESS", "Those points are not worth anything yet.")
    state.points[member] -= points
    state.points_issued += points
    state.backing -= credit
    state.wallet[member] += credit
    fx.transfer("redemption", (ref, "redeem", 0), (POINTS, member), POINTS_ISSUED, points, PTS)
    fx.transfer(
        "redemption", (ref, "redeem", 1), POINTS_BACKING, (WALLET, member), credit, terms.currency
    )
    consume_lots(state, member, points, day, fx)
    fx.member(member)
    return credit


def consume_lots(state: ChannelState, member: int, points: int, usable_on, fx) -> None:
    """Take `points` from the member's lots, soonest-expiring first. A redemption passes the day
    (`usable_on`) to leave expired lots alone; a clawback takes from any lot."""
    lots = state.lots[member]
    if lots is None:
        return
    skipped = 0
    if usable_on is not None:
        while skipped < len(lots) and lots[skipped][0] < usable_on:
            skipped += 1
    while points > 0 and len(lots) > skipped:
        lot = lots[skipped]
        take = min(lot[2], points)
        lot[2] -= take
        points -= take
        fx.lot(lot)
        if lot[2] == 0:
            del lots[skipped]


def appreciate(state: ChannelState, day: int) -> Decimal:
    """The point value of `day` (the settlement's appreciation step). Mode `rate` compounds once
    for every day since the last appreciation, so a missed day is caught up rather than lost."""
    terms = state.terms
    if not terms.backed_mode:
        scheduled, since = state.scheduled_value, state.valued_day
        if scheduled is None:
            scheduled = terms.point_value_initial
        elif day > since:
            scheduled = min(scheduled, terms.point_value_max)
            growth = 1 + terms.point_daily_appreciation
            for _ in range(day - since):
                if scheduled >= terms.point_value_max:
                    break
                grown = (scheduled * growth).quantize(_POINT_VALUE_PLACES, rounding=ROUND_DOWN)
                scheduled = min(grown, terms.point_value_max)
        state.scheduled_value = scheduled
        state.valued_day = day if since is None else max(since, day)
    return state.point_value()


def expire_points(state: ChannelState, day: int, fx) -> int:
    """Burn what is left of the lots whose last day is `day` or earlier. Their backing stays, so
    every point still held is worth more."""
    lots = state.all_lots
    members, amounts = [], []
    while lots and lots[0][0] <= day:
        lot = lots.popleft()
        member, remaining = lot[1], lot[2]
        own = state.lots[member]
        if own and own[0] is lot:
            own.popleft()
        if remaining:
            state.points[member] -= remaining
            state.points_issued += remaining
            lot[2] = 0
            members.append(member)
            amounts.append(remaining)
            fx.lot(lot)
            fx.member(member)
    if members:
        fx.from_members(
            "points_expiry", (("day", day), "points_expiry"), POINTS, members, amounts,
            POINTS_ISSUED, PTS,
        )  # fmt: skip
    return sum(amounts)


# Wallet (DESIGN §10) and staff corrections -------------------------------------------------------


def _money(state: ChannelState, amount: int) -> str:
    return f"{from_minor(amount, state.terms.places):f}"


def _covered(state: ChannelState, member: int, amount: int) -> None:
    if amount <= 0:
        raise Refused("INVALID", "The amount must be above zero.")
    if amount > state.wallet[member]:
        held = _money(state, state.wallet[member])
        raise Refused("INSUFFICIENT", f"The wallet holds {held}, not {_money(state, amount)}.")


def convert(state: ChannelState, member: int, amount: int, ref, fx) -> None:
    """Wallet credit turned into a gift card for the member."""
    _covered(state, member, amount)
    state.wallet[member] -= amount
    state.gift_cards += amount
    fx.transfer(
        "gift_card", (ref, "gift_card", 0), (WALLET, member), GIFT_CARDS, amount,
        state.terms.currency,
    )  # fmt: skip
    fx.member(member)


def withdraw(state: ChannelState, member: int, amount: int, ref, fx) -> None:
    """Set `amount` aside from the wallet until staff pay it out or reject the request."""
    config = state.terms.config
    if not config.withdrawals_enabled:
        raise Refused("WITHDRAWALS_DISABLED", "This store does not pay out wallet credit.")
    if amount < state.round_down(config.min_withdrawal):
        raise Refused(
            "BELOW_MINIMUM",
            f"Withdrawals start at {config.min_withdrawal:f} {state.terms.currency}.",
        )
    _covered(state, member, amount)
    state.wallet[member] -= amount
    state.withdrawals_pending += amount
    fx.transfer(
        "withdrawal_request", (ref, "withdrawal", 0), (WALLET, member), WITHDRAWALS_PENDING,
        amount, state.terms.currency,
    )  # fmt: skip
    fx.member(member)


def decide_withdrawal(state: ChannelState, member: int, amount: int, approve: bool, ref, fx):
    """Approved: the money was paid outside the store. Rejected: it goes back to the wallet."""
    state.withdrawals_pending -= amount
    if approve:
        state.withdrawals_paid += amount
        to, code = WITHDRAWALS_PAID, "withdrawal_approved"
    else:
        state.wallet[member] += amount
        to, code = (WALLET, member), "withdrawal_rejected"
        fx.member(member)
    fx.transfer(code, (ref, "decision", 0), WITHDRAWALS_PENDING, to, amount, state.terms.currency)


def adjust(state: ChannelState, member: int, kind: str, amount: int, day: int, ref, fx) -> None:
    """A staff correction of the wallet (from or back to the platform's funding) or the points
    (issued as a new lot, or taken soonest-expiring first), up or down, never below zero."""
    if kind == WALLET:
        held, source, unit = state.wallet, PLATFORM, state.terms.currency
    elif kind == POINTS:
        held, source, unit = state.points, POINTS_ISSUED, PTS
    else:
        raise ValueError(f"kind must be {POINTS!r} or {WALLET!r}, got {kind!r}")
    if amount == 0:
        raise Refused("INVALID", "The correction must not be zero.")
    if -amount > held[member]:
        if kind == WALLET:
            shown = f"The wallet holds {_money(state, held[member])}, not {_money(state, -amount)}."
        else:
            shown = f"The member holds {held[member]} points, not {-amount}."
        raise Refused("INSUFFICIENT", shown)
    held[member] += amount
    if kind == WALLET:
        state.platform -= amount
    else:
        state.points_issued -= amount
    key = (ref, f"adjustment_{kind}", 0)
    if amount > 0:
        fx.transfer(f"adjustment_{kind}", key, source, (kind, member), amount, unit)
    else:
        fx.transfer(f"adjustment_{kind}", key, (kind, member), source, -amount, unit)
    if kind == POINTS:
        if amount > 0 and state.keep_lots:
            fx.lot(state.add_lot(member, amount, _last_usable_day(state, day)))
        elif amount < 0:
            consume_lots(state, member, -amount, None, fx)
    fx.member(member)


# The daily settlement (DESIGN §8 release, §9) ----------------------------------------------------


def release_day(state: ChannelState, day: int, fx) -> int:
    """Release day `day` from the release pool, which holds what days up to `day` funded and did
    not release (the state is as it stood at the end of the day). Returns what was released."""
    budget = state.release_pool
    if budget <= 0:
        return 0
    energy, weights = state.energy, state.weighted
    # Only members holding energy share in the day's release.
    weighted = rules.release_total(weights, energy)
    if weighted <= 0:
        return 0
    amounts = rules.release_amounts(weights, energy, budget, weighted)
    released = sum(amounts)
    if released <= 0:
        return 0
    state.energy = [held - a for held, a in zip(energy, amounts, strict=True)]
    state.wallet = [credit + a for credit, a in zip(state.wallet, amounts, strict=True)]
    state.release_pool -= released
    state.energy_issued += released
    fx.release(day, amounts, rules.release_unit(budget, weighted), state.terms.currency)
    return released


def settle_day(state: ChannelState, day: int, end_of_day: int, fx) -> Decimal:
    """Release, appreciation and expiry of `day`, in the settlement's order; everything before
    the day's end has been applied and nothing after it. Returns the day's point value."""
    release_day(state, day, fx)
    value = appreciate(state, day)
    expire_queue(state, end_of_day, fx)
    if state.terms.points_expire_days:
        expire_points(state, day, fx)
    return value
