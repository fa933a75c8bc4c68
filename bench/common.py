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

BENCH_DB = os.environ.get("BENCH_DATABASE_NAME", "dividend_bench")


def base_url() -> str:
    return os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dividend")


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


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


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
