"""Benchmark 1b: how long an order waits from its event to its confirmation when events arrive at a
steady 100 orders/s on one channel, taken by 2 Celery workers. The orders are placed and paid in
the store beforehand, so the event is all that is timed: each order's latency is its record's
`confirmed_at` (set by the worker in the confirming transaction, from the same machine's clock)
less the wall-clock time its event was sent."""

from __future__ import annotations

import math
import time

from standalone_host.workers import stop_workers

from .common import paid_orders, progress
from .throughput import confirmed_until, start_workers

RATE = 100  # orders offered per second
WARM_UP = 20  # orders confirmed before the clock starts: worker start-up is not the point


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


def run(duration: int) -> dict:
    from saleor_dividend_plugin.channels import configure_channel
    from saleor_dividend_plugin.events import order_changed
    from saleor_dividend_plugin.models import OrderRecord

    orders = duration * RATE
    channel = configure_channel("bench-latency", "USD", {"referral_mode": "off"}, True)
    ids = paid_orders(channel, WARM_UP + orders, "latency")
    warm_up, ids = ids[:WARM_UP], ids[WARM_UP:]
    queue, workers = start_workers()
    # Bounded: when the channel confirms fewer than RATE orders/s the backlog grows for as long
    # as events are offered; after this long the orders still waiting count as unconfirmed.
    wait = max(30, 2 * duration)
    try:
        progress(f"{WARM_UP} orders to warm the workers up")
        for order_id in warm_up:
            order_changed(order_id, "bench-latency")
        if confirmed_until(channel, WARM_UP, time.time() + 60)[0] < WARM_UP:
            raise RuntimeError(f"the {WARM_UP} warm-up orders were not confirmed in 60 s")
        progress(f"{orders} order events at {RATE}/s for {duration} s")
        sent = {}
        start = time.time()
        for n, order_id in enumerate(ids):
            # Each event at its own time on the schedule, so a late send is not made up by a burst
            # that would hide behind the average.
            delay = start + n / RATE - time.time()
            if delay > 0:
                time.sleep(delay)
            sent[order_id] = time.time()
            order_changed(order_id, "bench-latency")
        last_sent = time.time()
        progress(f"sent; waiting at most {wait} s for the confirmations")
        _, stopped = confirmed_until(channel, WARM_UP + orders, last_sent + wait)
    finally:
        stop_workers([proc for _, proc in workers])

    confirmed_at = dict(
        OrderRecord.objects.filter(
            channel=channel, order_id__in=ids, confirmed_at__isnull=False
        ).values_list("order_id", "confirmed_at")
    )
    # An order still waiting when the bench stopped counts with the time it had waited by then:
    # a lower bound, so the percentiles are too when there are any.
    latencies = sorted(
        (confirmed_at[i].timestamp() if i in confirmed_at else stopped) - sent[i] for i in ids
    )
    unconfirmed = orders - len(confirmed_at)
    achieved = (orders - 1) / (last_sent - start) if orders > 1 else float(RATE)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    details = {
        "orders": orders,
        "offered_per_second": RATE,
        "achieved_per_second": round(achieved, 1),
        "sending_seconds": round(last_sent - start, 2),
        "p50_seconds": round(p50, 3),
        "max_seconds": round(latencies[-1], 3),
        "unconfirmed": unconfirmed,
    }
    if achieved < RATE * 0.98:
        details["note"] = f"the sender kept {achieved:.1f} of the {RATE} orders/s offered"
    if unconfirmed:
        details["stopped_waiting_after_seconds"] = wait
        details["note_unconfirmed"] = (
            f"{unconfirmed} orders not confirmed {wait} s after the last event; they count with"
            " the time they had waited, so p50, p99 and max are lower bounds"
        )
    return {
        "name": f"event-to-confirmed p99 at {RATE} orders/s",
        "value": round(p99, 3),
        "unit": "s",
        "baseline": None,
        "baseline_name": None,
        "ratio": None,
        "targets": {"p99 <= 1 s": unconfirmed == 0 and p99 <= 1},
        "details": details,
    }
