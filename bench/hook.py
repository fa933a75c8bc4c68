"""Benchmark 3: what an order hook does inside Saleor's request before deferring to Celery."""

from __future__ import annotations

import time
import uuid

from .common import median


def run(calls: int) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from saleor_dividend_plugin.events import order_changed

    durations, queries = [], []
    for _ in range(calls):
        order_id = uuid.uuid4()
        with transaction.atomic():
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                order_changed(order_id)
                durations.append(time.perf_counter() - start)
            queries.append(len(captured.captured_queries))
            # Roll back: the task is scheduled on commit, and measuring the broker is not the point.
            transaction.set_rollback(True)
    ms = median(durations) * 1000
    return {
        "name": "order hook cost",
        "value": round(ms, 4),
        "unit": "ms (median)",
        "baseline": None,
        "baseline_name": None,
        "ratio": None,
        "targets": {"queries <= 2": max(queries) <= 2, "median <= 2 ms": ms <= 2},
        "details": {"calls": calls, "max_queries": max(queries)},
    }
