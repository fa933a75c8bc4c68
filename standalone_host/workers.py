"""Real Celery worker processes for the tests, the demo and the benchmarks.

Each worker leads its own process group, so stopping (or killing) it also stops its pool
processes; each consumes a queue named by the caller, so runs sharing one broker never take each
other's tasks.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_worker(
    queue: str,
    name: str,
    *,
    app: str = "standalone_host",
    concurrency: int = 1,
    prefetch: int = 1,
    env: dict | None = None,
    stdout=None,
) -> subprocess.Popen:
    environment = dict(os.environ, CELERY_TASK_DEFAULT_QUEUE=queue, PYTHONPATH=str(ROOT))
    environment.update(env or {})
    command = [
        sys.executable, "-m", "celery", "-A", app, "worker", "-Q", queue, "-n", name,
        "--concurrency", str(concurrency), "--prefetch-multiplier", str(prefetch),
        "--pool", "prefork",
        "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        env=environment,
        cwd=ROOT,
        start_new_session=True,
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout else None,
    )


def wait_until_ready(workers: list[tuple[str, subprocess.Popen]], timeout: float = 90) -> None:
    """Wait until every (name, process) answers a ping; raise if one exits or time runs out."""
    from standalone_host.celery import app

    deadline = time.monotonic() + timeout
    for name, proc in workers:
        while not app.control.ping(timeout=0.5, destination=[name]):
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_workers([proc for _, proc in workers])
                raise RuntimeError(f"the Celery worker {name} did not start (is Redis running?)")


def stop_workers(workers: list[subprocess.Popen], timeout: float = 30) -> None:
    for proc in workers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in workers:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
