"""The flow fitted to a simulated history recovers the flow that made it.

The history comes from the simulator's own event stream, turned into the figures the ledger gives
(`ledger_figures.FlowHistory`): that the ledger gives those figures is checked on a known channel
in test_forecast.py. Tolerances are about three standard errors for 120 days of ~90 orders a day.
"""

import datetime
import math
from decimal import Decimal as D

import pytest

from saleor_dividend_plugin.reporting.fit import fit_flow, order_rate
from saleor_dividend_plugin.reporting.ledger_figures import FlowHistory
from saleor_dividend_plugin.simulator.run import simulate
from saleor_dividend_plugin.simulator.scenario import scenario_from_dict

TRUE_FLOW = {
    "orders_per_day": "80",
    "monthly_growth": "0.05",
    "average_order_value": "60",
    "order_value_spread": "0.5",
    "customers": 1_000_000,
    "returning_share": "0.6",
    "guest_share": "0.05",
    "cancel_rate": "0.03",
    "refund_rate": "0.08",
    "full_refund_share": "0.4",
    "refund_within_days": 10,
    "gift_package_share": "0.05",
    "gift_package_value": "149",
    "referral_rate": "0.3",
    "redemption_rate": "0.1",
    "wallet_spend_rate": "0.2",
}
DAYS, MARGIN = 120, 28
# parameter: (expected, absolute tolerance)
TOLERANCES = {
    # The rate on the day after the history: 80 x 1.05 ** (120 / 30).
    "orders_per_day": (D("97.24"), D("6")),
    "monthly_growth": (D("0.05"), D("0.025")),
    "average_order_value": (D("60"), D("1.5")),
    "order_value_spread": (D("0.5"), D("0.03")),
    "returning_share": (D("0.6"), D("0.02")),
    "guest_share": (D("0.05"), D("0.01")),
    "cancel_rate": (D("0.03"), D("0.008")),
    "refund_rate": (D("0.08"), D("0.012")),
    "full_refund_share": (D("0.4"), D("0.1")),
    "gift_package_share": (D("0.05"), D("0.01")),
    "gift_package_value": (D("149"), D("0.01")),
    "referral_rate": (D("0.3"), D("0.03")),
    "redemption_rate": (D("0.1"), D("0.012")),
    "wallet_spend_rate": (D("0.2"), D("0.02")),
}


def history_of(result) -> FlowHistory:
    """What the ledger would show of the simulated days (all in UTC)."""
    start = result.scenario.start
    last = start + datetime.timedelta(days=result.scenario.days - 1)
    settled_until = last - datetime.timedelta(days=MARGIN - 1)

    def day(seconds):
        return datetime.datetime.fromtimestamp(seconds, datetime.UTC).date()

    placed = [0] * result.scenario.days
    orders, first_refund, refunded, first_order = {}, {}, {}, {}
    guests = cancelled = returning = redemptions = spends = 0
    new = referred = 0
    for event in result.events:
        kind = event[0]
        if kind == "order":
            _, number, member, lines, now, was_cancelled = event
            placed[(day(now) - start).days] += 1
            guests += member is None
            cancelled += was_cancelled
            is_first = member is not None and member not in first_order
            if is_first:
                first_order[member] = number
            if not was_cancelled:
                orders[number] = (member, day(now), lines)
                returning += member is not None and not is_first
        elif kind == "customer":
            new += 1
            referred += event[2] is not None
        elif kind == "refund":
            _, number, cumulative, when = event
            first_refund.setdefault(number, day(when))
            refunded[number] = cumulative
        elif kind == "redeem":
            redemptions += 1
        elif kind == "spend":
            spends += 1
    paid, settled, part, full, delays = [], 0, 0, 0, []
    for number, (member, on, lines) in orders.items():
        amount = sum(a for a, _ in lines)
        gift = sum(a for a, t in lines if t == "gift-package")
        back = refunded.get(number, 0)
        paid.append((D(amount) / 100, D(gift) / 100, member is not None, D(back) / 100))
        if on <= settled_until:
            settled += 1
            part += 0 < back < amount
            full += back == amount
        if member is not None and number in first_refund:
            delays.append((first_refund[number] - on).days)
    return FlowHistory(
        first=start,
        last=last,
        placed_per_day=placed,
        guest_orders=guests,
        cancelled=cancelled,
        paid=paid,
        settled_for_refunds=settled,
        refunded_part=part,
        refunded_full=full,
        refund_delays=delays,
        member_orders=sum(1 for member, _, _ in orders.values() if member is not None),
        returning_member_orders=returning,
        new_members=new,
        referred_new_members=referred,
        redemptions=redemptions,
        wallet_spends=spends,
    )


@pytest.fixture(scope="module")
def simulated():
    scenario = scenario_from_dict(
        {
            "currency": "USD",
            "start": "2026-01-01",
            "days": DAYS,
            "seed": 7,
            "flow": TRUE_FLOW,
            "config": {"gift_package_product_types": "gift-package", "points_min_redemption": "1"},
        }
    )
    return simulate(scenario, record_events=True)


def test_the_fitted_flow_recovers_the_simulated_one(simulated):
    fit = fit_flow(history_of(simulated))
    fitted = vars(fit.flow)
    misses = {
        name: (fitted[name], expected)
        for name, (expected, tolerance) in TOLERANCES.items()
        if abs(fitted[name] - expected) > tolerance
    }
    assert not misses, misses
    # Refunds come 1 to 10 days after payment: the longest seen is the bound.
    assert fit.flow.refund_within_days == 10
    assert fit.observations["orders_per_day"] == DAYS


def test_the_order_rate_of_a_steady_and_of_a_growing_flow():
    assert order_rate([50] * 30) == pytest.approx((50, 0), abs=1e-9)
    growing = [round(100 * 1.1 ** (t / 30)) for t in range(90)]
    rate, slope = order_rate(growing)
    assert rate == pytest.approx(100 * 1.1**3, rel=0.01)
    assert slope == pytest.approx(math.log(1.1) / 30, rel=0.02)
    assert order_rate([0, 0, 0]) == (0.0, 0.0)


def test_a_short_history_forecasts_a_steady_flow_at_its_average(simulated):
    history = history_of(simulated)
    history.placed_per_day = [10, 20, 30, 40, 50, 60, 70]
    fit = fit_flow(history)
    assert (fit.flow.orders_per_day, fit.flow.monthly_growth) == (D("40"), D("0"))
    assert fit.observations["monthly_growth"] == 0
