"""Benchmark 5: the simulator running N orders over 365 days (in memory, no database)."""

from __future__ import annotations

from decimal import Decimal

from .common import progress, timed

DAYS = 365


def run(orders: int) -> dict:
    from saleor_dividend_plugin.simulator.run import simulate
    from saleor_dividend_plugin.simulator.scenario import scenario_from_dict

    # The default scenario with a flat order flow that places `orders` orders in the year
    # (a few are cancelled, as in any run).
    per_day = (Decimal(orders) / DAYS).quantize(Decimal("0.0001"))
    scenario = scenario_from_dict(
        {"flow": {"orders_per_day": str(per_day), "monthly_growth": 0, "customers": orders // 20}},
        "bench",
    ).with_run(days=DAYS)
    progress(f"simulating {orders} orders over {DAYS} days")
    with timed() as elapsed:
        result = simulate(scenario)
    seconds = elapsed["seconds"]
    placed = result.tally.total.orders + result.cancelled
    return {
        "name": f"simulator, {orders} orders / {DAYS} days",
        "value": round(seconds, 1),
        "unit": "s",
        "baseline": None,
        "baseline_name": None,
        "ratio": None,
        "targets": {"<= 60 s": seconds <= 60},
        "details": {
            "orders_placed": placed,
            "orders_paid": result.tally.total.orders,
            "orders_per_second": round(placed / seconds),
        },
    }
