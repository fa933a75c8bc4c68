"""`make demo`: its clock, its database guard, and (slow) a short run end to end."""

import datetime
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.utils import timezone

from standalone_host import demo
from standalone_host.demo_clock import DemoClock

ROOT = Path(__file__).resolve().parent.parent


def test_the_clock_reaches_the_worker_through_redis(monkeypatch):
    key = f"dividend-test-clock-{uuid.uuid4().hex[:8]}"
    demo_side = DemoClock(key, settings.CELERY_BROKER_URL)
    worker_side = DemoClock(key, settings.CELERY_BROKER_URL)
    monkeypatch.setattr(timezone, "now", timezone.now)  # restored after the test
    when = datetime.datetime(2026, 3, 1, 14, 30, tzinfo=datetime.UTC)
    try:
        demo_side.set(when)
        worker_side.install()
        worker_side.read()
        assert timezone.now() == when
    finally:
        demo_side.forget()


def test_the_demo_never_drops_a_database_not_named_demo(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dividend")
    assert demo.main(["--days", "1"]) == 2
    assert "does not say 'demo'" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.worker
def test_a_short_demo_runs_through_the_worker_and_audits_clean(tmp_path):
    database = f"{os.environ.get('TEST_DATABASE_NAME') or 'test_dividend'}_demo"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "standalone_host.settings",
    }
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "standalone_host.demo",
                "--days",
                "3",
                "--customers",
                "80",
                "--scale",
                "0.5",
                "--report",
                str(tmp_path),
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("audit     clean: every invariant holds") == 2
    assert re.search(r"day 3/3 \S+: web-eur", done.stderr)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [c["audit"] for c in summary["channels"]] == ["clean", "clean"]
    assert all(c["orders"]["paid"] > 0 and c["releases"]["days"] == 3 for c in summary["channels"])
    assert {p.name for p in tmp_path.glob("*.png")} == set(summary["plots"])
    assert len(summary["plots"]) == 12
    # The worker is gone with its pool.
    queue = re.search(r"queue (dividend-demo-\w+)", done.stderr)[1]
    assert subprocess.run(["pgrep", "-f", queue], capture_output=True).returncode == 1
