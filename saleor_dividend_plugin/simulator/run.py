"""Drive the in-memory ledger through a scenario's order flow, day by day.

The flow is random but seeded: the same scenario gives the same orders. Order values are drawn
from a log-normal distribution and become whole minor units before the ledger sees them; from
there on everything is integer arithmetic.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from .engine import Engine, Order, Totals
from .scenario import Scenario

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
    engine: Engine
    days: list[DayFigures] = field(default_factory=list)
    cancelled: int = 0
    # When the last simulated day ends (seconds since the epoch).
    end: int = 0
    events: list[tuple] | None = None
    # With the events: the confirmed orders by number.
    orders: dict[int, Order] | None = None


def _midnight(date: datetime.date, tz) -> int:
    return int(datetime.datetime.combine(date, datetime.time(), tzinfo=tz).timestamp())


def simulate(
    scenario: Scenario,
    progress: Callable[[int, Result], None] | None = None,
    record_events: bool = False,
    engine: Engine | None = None,
    day_done: Callable[[int, Result], None] | None = None,
) -> Result:
    """Run the scenario. `progress(day_number, result)` is called after every tenth of the run,
    `day_done(day_number, result)` after every day; `record_events` keeps the event stream, the
    orders and the ledger's history (to replay them through the database path). `engine` starts
    the run from a channel's state (the forecast's) instead of an empty channel."""
    config, flow = scenario.config, scenario.flow
    engine = engine or Engine(config, scenario.currency, keep_history=record_events)
    result = Result(
        scenario, engine, events=[] if record_events else None, orders={} if record_events else None
    )
    events = result.events
    rng = random.Random(scenario.seed)
    scale = 10**engine.places
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
    confirm, customers = engine.confirm, flow.customers

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
                engine.refund(order, cumulative)
                if events is not None:
                    events.append(("refund", order_no, cumulative, when))
            if i == count:
                break
            order_number += 1
            # The customer: a guest, a returning customer, or a new one.
            if random_() < guest:
                member = None
            else:
                known = engine.member_count()
                if known and (known >= customers or random_() < returning):
                    member = randrange(known)
                else:
                    member = _new_customer(engine, rng, known, referral, events)
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
            if cancelled:
                cancelled_today += 1
                continue
            order = confirm(member, amount, gift, now, day)
            if events is not None:
                result.orders[order_number] = order
            if random_() < refund_rate:
                _schedule_refunds(refunds_due, rng, flow, day, order, order_number, full_refund)
            if member is None:
                continue
            if random_() < redeem:
                points = engine.points[member]
                if points >= config.points_min_redemption and engine.redeem(member, points):
                    if events is not None:
                        events.append(("redeem", member, points, now))
            if random_() < spend and engine.wallet[member] > 0:
                if events is not None:
                    events.append(("spend", member, engine.wallet[member], now))
                engine.spend_wallet(member, engine.wallet[member])

        engine.settle(day, next_midnight)
        if events is not None:
            events.append(("settle", day, next_midnight + opening - 60))
        result.cancelled += cancelled_today
        result.end = next_midnight
        result.days.append(_figures(engine, date, cancelled_today))
        if day_done is not None:
            day_done(index + 1, result)
        if progress is not None and index + 1 in checkpoints:
            progress(index + 1, result)
    return result


def _new_customer(engine, rng, known, referral, events) -> int:
    member = engine.add_member()
    referrer = None
    if known and rng.random() < referral:
        referrer = rng.randrange(known)
        # Chains stop at three levels: refer through an ancestor instead.
        while engine.referral_depth(referrer) > 2:
            referrer = engine.referrer[referrer]
        engine.set_referrer(member, referrer)
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


def _figures(engine: Engine, date: datetime.date, cancelled: int) -> DayFigures:
    totals = engine.close_day()
    value = engine.point_value()
    outstanding = -engine.points_issued
    return DayFigures(
        date=date,
        totals=totals,
        cancelled=cancelled,
        queue_length=engine.waiting,
        queue_unpaid=engine.waiting_remaining,
        dividend_pool=engine.dividend_pool,
        release_pool=engine.release_pool,
        points_backing=engine.backing,
        point_value=value,
        points_outstanding=outstanding,
        points_worth=engine.round_down(outstanding * value) if outstanding > 0 else 0,
        unreleased_energy=-engine.energy_issued,
        wallets=sum(engine.wallet),
        members=engine.member_count(),
    )
