import datetime
import itertools
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from saleor_dividend_plugin.channels import configure_channel
from saleor_dividend_plugin.ledger import Accounts
from saleor_dividend_plugin.lifecycle import sync_order
from saleor_dividend_plugin.models import AccountKind, Member, OrderRecord
from standalone_host.store import services
from standalone_host.store.host import snapshot
from standalone_host.store.models import StoreOrder
from standalone_host.workers import start_worker, stop_workers, wait_until_ready

from .tally import COUNTS

# Fixtures shared by the report tests and the browser tests of the report page.
pytest_plugins = ["tests.reporting.history"]

D = Decimal
ROOT = Path(__file__).resolve().parent.parent
_users = itertools.count(1)


@pytest.fixture
def make_channel(db):
    def make(slug="web", currency="USD", active=True, **values):
        return configure_channel(slug, currency, {k: str(v) for k, v in values.items()}, active)

    return make


@pytest.fixture
def channel(make_channel):
    return make_channel()


@pytest.fixture
def make_user(db):
    def make(name=None, **extra):
        name = name or f"customer{next(_users)}"
        return get_user_model().objects.create_user(
            username=f"{name}-{uuid.uuid4().hex[:6]}", email=f"{name}@example.com", **extra
        )

    return make


class Shop:
    """Drives the standalone store and delivers each order event to the plugin synchronously."""

    def __init__(self, channel):
        self.channel = channel

    def place(self, user, *amounts, shipping=0, product_type="default", lines=None, **kw):
        lines = lines or [(D(str(a)), product_type) for a in amounts]
        order = services.place_order(
            self.channel.slug,
            self.channel.currency,
            user,
            lines,
            shipping=D(str(shipping)),
            notify=False,
            **kw,
        )
        self.deliver(order)
        return order

    def pay(self, order, amount=None):
        services.charge(order, amount, notify=False)
        return self.deliver(order)

    def order(self, user, *amounts, **kw):
        """Place and pay an order; returns its record."""
        order = self.place(user, *amounts, **kw)
        self.pay(order)
        return self.record(order)

    def refund(self, order, amount):
        services.refund(order, D(str(amount)), notify=False)
        return self.deliver(order)

    def cancel(self, order, status="cancelled"):
        services.cancel(order, status, notify=False)
        return self.deliver(order)

    def deliver(self, order):
        order = (
            order if isinstance(order, StoreOrder) else StoreOrder.objects.get(pk=order.order_id)
        )
        return sync_order(snapshot(StoreOrder.objects.get(pk=order.pk)))

    def record(self, order) -> OrderRecord:
        return OrderRecord.objects.get(channel=self.channel, order_id=str(order.pk))

    def balance(self, who, kind) -> Decimal:
        accounts = Accounts(self.channel)
        if isinstance(who, Member):
            return accounts.member(who, kind).balance
        if who is None:
            return accounts.system(kind).balance
        member = Member.objects.get(channel=self.channel, user=who)
        return accounts.member(member, kind).balance

    def wallet(self, user):
        return self.balance(user, AccountKind.WALLET)

    def member(self, user) -> Member:
        return Member.objects.get(channel=self.channel, user=user)


@pytest.fixture
def shop(channel):
    return Shop(channel)


@pytest.fixture
def make_shop(make_channel):
    def make(**values):
        return Shop(make_channel(**values))

    return make


class Clock:
    """The time the plugin sees. It reads the clock only through `django.utils.timezone.now`."""

    def __init__(self, now):
        self.now = now

    def set(self, when: datetime.datetime) -> None:
        self.now = when

    def advance(self, **delta) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Stops the clock (at the real time) for the test; `clock.set(...)`, `clock.advance(...)`."""
    from django.utils import timezone

    stopped = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", lambda: stopped.now)
    return stopped


@pytest.fixture
def start_celery_worker(transactional_db):
    """Starts real Celery worker processes on the Redis broker, using the test database:
    `start_celery_worker(count=1, concurrency=1)` returns the processes once they answer.

    Every worker of one test consumes the same queue, unique to the test, so that parallel runs
    on one broker never steal each other's tasks; tasks sent from the test go there too. Each
    worker is the leader of its own process group: `os.killpg(worker.pid, signal.SIGKILL)` kills
    it with its pool. The test's data must be committed for the workers to see it, hence
    `transactional_db`."""
    from standalone_host.celery import app

    queue = f"dividend-test-{uuid.uuid4().hex[:8]}"
    # The app reads its settings with the CELERY_ namespace: the namespaced key is the one used.
    default_queue = app.conf.CELERY_TASK_DEFAULT_QUEUE
    app.conf.CELERY_TASK_DEFAULT_QUEUE = queue
    db_name = connection.settings_dict["NAME"]
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
        "DJANGO_SETTINGS_MODULE": "standalone_host.settings",
    }
    workers = []

    def start(count=1, concurrency=1, settings=None) -> list[subprocess.Popen]:
        """`settings`: more environment for the workers (e.g. CELERY_DB_REUSE_MAX)."""
        started = []
        for _ in range(count):
            name = f"{queue}-{len(workers) + 1}@test"
            proc = start_worker(
                queue, name, concurrency=concurrency, env={**env, **(settings or {})}
            )
            workers.append(proc)
            started.append((name, proc))
        wait_until_ready(started)
        return [proc for _, proc in started]

    try:
        yield start
    finally:
        stop_workers(workers, timeout=20)
        app.conf.CELERY_TASK_DEFAULT_QUEUE = default_queue


@pytest.fixture
def celery_worker_process(start_celery_worker):
    """One real Celery worker (two pool processes) on the Redis broker; returns its process."""
    [worker] = start_celery_worker(concurrency=2)
    return worker


def pytest_terminal_summary(terminalreporter):
    if COUNTS:
        terminalreporter.section("reliability counts")
        for what, n in sorted(COUNTS.items()):
            terminalreporter.write_line(f"{what:48} {n:>10,}")
