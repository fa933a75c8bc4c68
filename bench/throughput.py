"""Benchmark 1: confirmed orders per second through the real path (store event -> Celery task ->
ledger, dividend, points, energy) with 2 worker processes on one channel, against pgbench's
simple-update transactions per second with 2 clients in the same run."""

from __future__ import annotations

import re
import subprocess
import time
from decimal import Decimal

from standalone_host.workers import start_worker, stop_workers, wait_until_ready

from .common import BENCH_DB, bench_url, progress, psql_args, unique_queue


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


def run(orders: int, pgbench_seconds: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from saleor_dividend_plugin.channels import configure_channel
    from saleor_dividend_plugin.models import OrderRecord, OrderStatus
    from saleor_dividend_plugin.tasks import sync_order_task
    from standalone_host.store import services

    progress(f"pgbench -N, 2 clients, {pgbench_seconds}s")
    baseline = pgbench_tps(pgbench_seconds)

    channel = configure_channel("bench", "USD", {"referral_mode": "off"}, True)
    progress(f"placing {orders} paid orders in the store")
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bench{i}", email=f"bench{i}@example.com")
        for i in range(orders // 4 or 1)
    )
    ids = []
    with transaction.atomic():
        for i in range(orders):
            order = services.place_order(
                channel.slug,
                "USD",
                users[i % len(users)],
                [(Decimal(20 + i % 180), "default")],
                notify=False,
            )
            services.charge(order, notify=False)
            ids.append(str(order.pk))
    queue = unique_queue()
    env = {"DATABASE_URL": bench_url()}
    workers = [(f"{queue}-{i}@bench", start_worker(queue, f"{queue}-{i}@bench", env=env))
               for i in range(2)]  # fmt: skip
    wait_until_ready(workers)
    try:
        progress(f"{orders} order events through 2 workers")
        start = time.perf_counter()
        for order_id in ids:
            sync_order_task.apply_async((order_id,), queue=queue)
        confirmed = 0
        while confirmed < orders:
            time.sleep(0.05)
            confirmed = OrderRecord.objects.filter(
                channel=channel, status=OrderStatus.CONFIRMED
            ).count()
            if time.perf_counter() - start > 600:
                raise RuntimeError(f"only {confirmed} of {orders} orders confirmed in 600 s")
        seconds = time.perf_counter() - start
    finally:
        stop_workers([proc for _, proc in workers])
    rate = orders / seconds
    return {
        "name": "order confirmation throughput",
        "value": round(rate, 1),
        "unit": "orders/s",
        "baseline": round(baseline, 1),
        "baseline_name": "pgbench simple-update tps, 2 clients",
        "ratio": round(rate / baseline, 3),
        "targets": {"value >= 500": rate >= 500, "ratio >= 0.25": rate / baseline >= 0.25},
        "details": {"orders": orders, "seconds": round(seconds, 2)},
    }
