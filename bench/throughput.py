"""Benchmark 1: confirmed orders per second through the real path (the order event the hooks
defer, which queues the order and calls the channel's drain, a Celery task -> ledger, dividend,
points, energy) with 2 worker processes on one channel, against pgbench's
simple-update transactions per second with 2 clients in the same run. The orders are placed and
paid in the store beforehand (in bulk, untimed); the figure is the time from the first event sent
to the last order confirmed."""

from __future__ import annotations

import re
import subprocess
import time

from standalone_host.workers import start_worker, stop_workers, wait_until_ready

from .common import (
    BENCH_DB,
    bench_url,
    paid_orders,
    progress,
    psql_args,
    send_tasks_to,
    unique_queue,
)


def pgbench_tps(seconds: int) -> float:
    args = psql_args(bench_url())
    subprocess.run(
        ["pgbench", *args, "-i", "-s", "2", "-q", BENCH_DB], check=True, capture_output=True
    )
    out = subprocess.run(
        ["pgbench", *args, "-N", "-c", "2", "-j", "2", "-T", str(seconds), BENCH_DB],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([\d.]+)", out)
    return float(match.group(1))


def confirmed_until(channel, orders: int, deadline: float, every: float = 0.2) -> tuple[int, float]:
    """Wait until `orders` orders of `channel` are confirmed or `time.time()` passes `deadline`;
    return how many were confirmed and when the count saw them (wall-clock time: committed, so
    later than any `confirmed_at` among them, by less than `every`)."""
    from saleor_dividend_plugin.models import OrderRecord, OrderStatus

    while True:
        confirmed = OrderRecord.objects.filter(
            channel=channel, status=OrderStatus.CONFIRMED
        ).count()
        seen = time.time()
        if confirmed >= orders or seen > deadline:
            return confirmed, seen
        time.sleep(every)


# Messages a worker takes ahead: the order tasks are short, so a worker that waited for the
# broker after each one would spend a quarter of its time idle (Celery's own default is 4).
PREFETCH = 4


def start_workers(count: int = 2):
    """`count` Celery workers on a queue of their own, answering; returns (queue, workers)."""
    queue = unique_queue()
    send_tasks_to(queue)
    # Workers keep their database connections (Celery's CELERY_DB_REUSE_MAX; README,
    # Performance): a connect per task costs more than queuing an order event.
    env = {"DATABASE_URL": bench_url(), "CELERY_DB_REUSE_MAX": "1000"}
    names = [f"{queue}-{i}@bench" for i in range(count)]
    workers = [(name, start_worker(queue, name, env=env, prefetch=PREFETCH)) for name in names]
    wait_until_ready(workers)
    return queue, workers


def run(orders: int, pgbench_seconds: int) -> dict:
    from saleor_dividend_plugin.channels import configure_channel
    from saleor_dividend_plugin.events import order_changed

    progress(f"pgbench -N, 2 clients, {pgbench_seconds}s")
    baseline = pgbench_tps(pgbench_seconds)

    channel = configure_channel("bench", "USD", {"referral_mode": "off"}, True)
    ids = paid_orders(channel, orders, "bench")
    queue, workers = start_workers()
    # Bounded: a slow design reports the rate it reached instead of running on (25 orders/s at
    # the least; 800 s for 20,000 orders).
    timeout = max(120, orders / 25)
    try:
        progress(f"{orders} order events through 2 workers (waiting at most {timeout:.0f} s)")
        start = time.time()
        for order_id in ids:
            # What a hook defers, run at once: the sender is not in a transaction.
            order_changed(order_id, "bench")
        sent = time.time() - start
        progress(f"sent in {sent:.1f} s; waiting for the confirmations")
        confirmed, seen = confirmed_until(channel, orders, start + timeout)
    finally:
        stop_workers([proc for _, proc in workers])
    seconds = seen - start
    rate = confirmed / seconds
    details = {"orders": orders, "confirmed": confirmed, "seconds": round(seconds, 2),
               "events_sent_in_seconds": round(sent, 2)}  # fmt: skip
    if confirmed < orders:
        details["stopped_waiting_after_seconds"] = round(timeout)
    complete = confirmed == orders
    return {
        "name": "order confirmation throughput",
        "value": round(rate, 1),
        "unit": "orders/s",
        "baseline": round(baseline, 1),
        "baseline_name": "pgbench simple-update tps, 2 clients",
        "ratio": round(rate / baseline, 3),
        "targets": {
            "value >= 500": complete and rate >= 500,
            "ratio >= 0.25": complete and rate / baseline >= 0.25,
        },
        "details": details,
    }
