"""Shared plumbing for the benchmarks: a throw-away database, Django set-up, timing helpers."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit


def base_url() -> str:
    return os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dividend")


def _bench_db() -> str:
    """BENCH_DB (or BENCH_DATABASE_NAME) if set, else DATABASE_URL's database name + "_bench":
    two checkouts with their own DATABASE_URL never drop each other's benchmark database."""
    named = os.environ.get("BENCH_DB") or os.environ.get("BENCH_DATABASE_NAME")
    if named:
        return named
    return f"{urlsplit(base_url()).path.lstrip('/') or 'dividend'}_bench"


# Fixed at import, before setup_django points DATABASE_URL at the benchmark database itself.
BENCH_DB = _bench_db()


def bench_url() -> str:
    parts = urlsplit(base_url())
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def psql_args(url: str) -> list[str]:
    parts = urlsplit(url)
    args = [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    return args


def recreate_database() -> None:
    url = bench_url()
    args = psql_args(url)
    subprocess.run(["dropdb", *args, "--if-exists", "--force", BENCH_DB], check=True)
    subprocess.run(["createdb", *args, BENCH_DB], check=True)


def setup_django(fresh: bool = True) -> None:
    """Point Django at the benchmark database (created anew) and migrate it."""
    os.environ["DATABASE_URL"] = bench_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "standalone_host.settings")
    if fresh:
        recreate_database()
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


_STARTED = time.monotonic()


def progress(message: str) -> None:
    """A progress line on stderr, stamped with the seconds since the run began."""
    print(f"  {time.monotonic() - _STARTED:7.1f}s  {message}", file=sys.stderr, flush=True)


@contextmanager
def timed():
    box = {}
    start = time.perf_counter()
    yield box
    box["seconds"] = time.perf_counter() - start


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median(values) -> float:
    return statistics.median(values)


def unique_queue() -> str:
    return f"dividend-bench-{uuid.uuid4().hex[:8]}"


_route = {}


def send_tasks_to(queue: str) -> None:
    """Send this process's tasks to `queue` from now on, however they are sent: the order events
    call the drain with a plain `delay()`, as the hooks do. Celery builds its router once per
    process, so the route is a function that reads the queue of the moment."""
    from standalone_host.celery import app

    if not _route:
        app.conf.task_routes = (lambda *args, **kwargs: {"queue": _route["queue"]},)
    _route["queue"] = queue


def paid_orders(channel, orders: int, prefix: str, chunk: int = 5000) -> list[str]:
    """`orders` orders of `channel` placed and paid in the store without order events (the
    caller sends those), by a customer for every four orders (each customer's first order makes
    the member); returns their ids in the order to send them. Bulk inserts, in chunks with a
    progress line each, so the set-up takes seconds, not the minutes of placing them one by one."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from standalone_host.store import services

    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        (
            user_model(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com")
            for i in range(orders // 4 or 1)
        ),
        batch_size=2000,
    )
    ids = []
    for start in range(0, orders, chunk):
        end = min(start + chunk, orders)
        progress(f"placing and paying orders {start + 1}-{end} of {orders} in the store")
        placed = services.place_paid_orders(
            channel.slug,
            channel.currency,
            [
                (users[i % len(users)], f"{prefix}-{i + 1}", [(Decimal(20 + i % 180), "default")])
                for i in range(start, end)
            ],
        )
        ids.extend(str(order.pk) for order in placed)
    return ids


def add_members(channel, count: int, prefix: str, tiers: tuple[str, ...] = ("member",)) -> None:
    """`count` members of `channel` with their four accounts, set-based (creating a million one
    by one would take longer than the benchmark): referral codes `prefix` + a number, tiers in
    turn from `tiers`."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            "WITH m AS (INSERT INTO dividend_member (channel_id, referral_code, tier_code,"
            "   granted_tier_code, created_at)"
            "   SELECT %(ch)s, %(prefix)s || lpad(i::text, 12, '0'),"
            "          (%(tiers)s::text[])[1 + i %% cardinality(%(tiers)s::text[])], '', now()"
            "     FROM generate_series(1, %(count)s) AS i RETURNING id)"
            " INSERT INTO dividend_account (channel_id, member_id, kind, unit, balance,"
            " may_go_negative) SELECT %(ch)s, m.id, k.kind, k.unit, 0, false"
            " FROM m CROSS JOIN (VALUES ('points', 'PTS'), ('energy', 'ENERGY'),"
            " ('contribution', 'CONTRIB'), ('wallet', %(currency)s)) AS k(kind, unit)",
            {
                "ch": channel.pk,
                "prefix": prefix,
                "tiers": list(tiers),
                "count": count,
                "currency": channel.currency,
            },
        )
