"""Drive the rules kernel through a scenario's order flow, day by day.

The flow is random but seeded: the same scenario gives the same orders. Order values are drawn
from a log-normal distribution and become whole minor units before the kernel sees them; from
there on everything is integer arithmetic. The kernel's movements go to a `Tally`, which keeps
the figures the report needs.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ..kernel import events as rules
from ..kernel.events import Refused
from ..kernel.state import ChannelState, Order
from .scenario import Scenario
from .tally import Tally, Totals

# Refunds that are partial are followed by a refund of the rest this often.
SECOND_REFUND_SHARE = 0.25


@dataclass
class DayFigures:
    date: datetime.date
    totals: Totals
    cancelled: int
    queue_length: int
    queue_unpaid: int
    dividend_pool: int
    release_pool: int
    points_backing: int
    point_value: object
    points_outstanding: int
    points_worth: int
    unreleased_energy: int
    wallets: int
    members: int


@dataclass
class Result:
    scenario: Scenario
    # The channel as the run left it, and the figures summed along the way.
    state: ChannelState
    tally: Tally
    days: list[DayFigures] = field(default_factory=list)
    cancelled: int = 0
    # When the last simulated day ends (seconds since the epoch).
    end: int = 0
    events: list[tuple] | None = None
    # With the events: the confirmed orders by number, and every day's point value.
    orders: dict[int, Order] | None = None
    point_values: dict[int, object] | None = None


def _midnight(date: datetime.date, tz) -> int:
    return int(datetime.datetime.combine(date, datetime.time(), tzinfo=tz).timestamp())


def simulate(
    scenario: Scenario,
    progress: Callable[[int, Result], None] | None = None,
    record_events: bool = False,
    state: ChannelState | None = None,
    day_done: Callable[[int, Result], None] | None = None,
) -> Result:
    """Run the scenario. `progress(day_number, result)` is called after every tenth of the run,
    `day_done(day_number, result)` after every day; `record_events` keeps the event stream, the
    orders and the ledger's history (to replay them through the database path). `state` starts
    the run from a channel as it stands (in the scenario's configuration and currency): its
    members are the customers who have ordered before; without it the channel starts empty."""
    config, flow = scenario.config, scenario.flow
    if state is None:
        state = ChannelState(config, scenario.currency)
    elif state.terms.currency != scenario.currency or state.terms.config != config:
        raise ValueError("the state is of another configuration or currency than the scenario")
    tally = Tally(keep_history=record_events)
    result = Result(
        scenario,
        state,
        tally,
        events=[] if record_events else None,
        orders={} if record_events else None,
        point_values={} if record_events else None,
    )
    events = result.events
    rng = random.Random(scenario.seed)
    scale = 10**state.terms.places
    tz = config.tz
    opening = config.settlement_time.hour * 3600 + config.settlement_time.minute * 60 + 60

    mean = float(flow.average_order_value)
    spread = float(flow.order_value_spread)
    sigma = math.sqrt(math.log(1 + spread * spread))
    mu = math.log(mean) - sigma * sigma / 2
    gift_types = config.gift_package_product_types
    gift_type = gift_types[0] if gift_types else "default"
    gift_value = int(flow.gift_package_value * scale)
    shares = {
        name: float(getattr(flow, name))
        for name in (
            "guest_share",
            "returning_share",
            "cancel_rate",
            "refund_rate",
            "full_refund_share",
            "gift_package_share",
            "referral_rate",
            "redemption_rate",
            "wallet_spend_rate",
        )
    }
    guest, returning, cancel, refund_rate, full_refund, gift_share, referral, redeem, spend = (
        shares.values()
    )
    growth = float(flow.monthly_growth)
    base_rate = float(flow.orders_per_day)
    refunds_due: dict[int, list[tuple[int, Order, int, int]]] = {}
    carry = 0.0
    order_number = 0
    checkpoints = {max(1, round(scenario.days * k / 10)) for k in range(1, 11)}
    random_, randrange, lognormal = rng.random, rng.randrange, rng.lognormvariate
    confirm, refund, customers = rules.confirm, rules.refund, flow.customers

    for index in range(scenario.days):
        date = scenario.start + datetime.timedelta(days=index)
        day = date.toordinal()
        midnight = _midnight(date, tz)
        next_midnight = _midnight(date + datetime.timedelta(days=1), tz)
        window = max(1, next_midnight - midnight - opening - 1)
        expected = base_rate * (1 + growth) ** (index / 30) + carry
        count = int(expected)
        carry = expected - count

        refunds = sorted(
            (midnight + opening + rng.randrange(window), number, order, cumulative, order_no)
            for number, (order, cumulative, order_no) in enumerate(refunds_due.pop(day, ()))
        )
        refunds.reverse()  # popped from the end, earliest first
        cancelled_today = 0
        for i in range(count + 1):
            now = midnight + opening + window * i // count if i < count else next_midnight
            while refunds and refunds[-1][0] <= now:
                when, _, order, cumulative, order_no = refunds.pop()
                tally.day.refunds += refund(state, order, cumulative, when, tally)
                if events is not None:
                    events.append(("refund", order_no, cumulative, when))
            if i == count:
                break
            order_number += 1
            # The customer: a guest, a returning customer, or a new one.
            if random_() < guest:
                member = None
            else:
                known = state.member_count()
                if known and (known >= customers or random_() < returning):
                    member = randrange(known)
                else:
                    member = _new_customer(state, rng, known, referral, events)
            if random_() < gift_share:
                amount = gift_value
                lines = ((amount, gift_type),)
                gift = amount if gift_types else 0
            else:
                value = mean if sigma == 0 else lognormal(mu, sigma)
                amount = max(1, round(value * scale))
                lines = ((amount, "default"),)
                gift = 0
            cancelled = random_() < cancel
            if events is not None:
                events.append(("order", order_number, member, lines, now, cancelled))
            order = Order(order_number, member, amount, gift)
            if cancelled:
                rules.void(state, order)
                cancelled_today += 1
                continue
            confirm(state, order, now, day, tally)
            tally.day.orders += 1
            tally.day.revenue += amount
            if events is not None:
                result.orders[order_number] = order
            if random_() < refund_rate:
                _schedule_refunds(refunds_due, rng, flow, day, order, order_number, full_refund)
            if member is None:
                continue
            if random_() < redeem:
                points = state.points[member]
                if points >= config.points_min_redemption:
                    try:
                        rules.redeem(state, member, points, day, ("redeem", order_number), tally)
                    except Refused:
                        pass  # worth nothing yet: the customer keeps the points
                    else:
                        if events is not None:
                            events.append(("redeem", member, points, now))
            wallet = state.wallet[member]
            if random_() < spend and wallet > 0:
                if events is not None:
                    events.append(("spend", member, wallet, now))
                rules.convert(state, member, wallet, ("card", order_number), tally)

        value = rules.settle_day(state, day, next_midnight, tally)
        if result.point_values is not None:
            result.point_values[day] = value
        if events is not None:
            events.append(("settle", day, next_midnight + opening - 60))
        result.cancelled += cancelled_today
        result.end = next_midnight
        result.days.append(_figures(state, tally, date, cancelled_today))
        if day_done is not None:
            day_done(index + 1, result)
        if progress is not None and index + 1 in checkpoints:
            progress(index + 1, result)
    return result


def _new_customer(state, rng, known, referral, events) -> int:
    referrer = None
    if known and rng.random() < referral:
        referrer = rng.randrange(known)
        # Chains stop at three levels: refer through an ancestor instead.
        while state.referral_depth(referrer) > 2:
            referrer = state.referrer[referrer]
    # A new customer names the referrer before the first order, as `members.set_referrer` wants.
    member = state.add_member(referrer=-1 if referrer is None else referrer)
    if events is not None:
        events.append(("customer", member, referrer))
    return member


def _schedule_refunds(refunds_due, rng, flow, day, order, order_no, full_refund) -> None:
    first = day + rng.randint(1, max(1, flow.refund_within_days))
    if rng.random() < full_refund:
        refunds_due.setdefault(first, []).append((order, order.amount, order_no))
        return
    partial = rng.randint(max(1, order.amount // 10), max(1, order.amount * 9 // 10))
    refunds_due.setdefault(first, []).append((order, partial, order_no))
    if rng.random() < SECOND_REFUND_SHARE:
        second = first + rng.randint(1, max(1, flow.refund_within_days))
        refunds_due.setdefault(second, []).append((order, order.amount, order_no))


def _figures(state: ChannelState, tally: Tally, date, cancelled: int) -> DayFigures:
    totals = tally.close_day()
    value = state.point_value()
    outstanding = -state.points_issued
    return DayFigures(
        date=date,
        totals=totals,
        cancelled=cancelled,
        queue_length=state.waiting,
        queue_unpaid=state.waiting_remaining,
        dividend_pool=state.dividend_pool,
        release_pool=state.release_pool,
        points_backing=state.backing,
        point_value=value,
        points_outstanding=outstanding,
        points_worth=state.round_down(outstanding * value) if outstanding > 0 else 0,
        unreleased_energy=-state.energy_issued,
        wallets=sum(state.wallet),
        members=state.member_count(),
    )
