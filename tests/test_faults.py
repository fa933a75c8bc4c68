"""Faults around the Celery tasks: a database connection dropped mid-transaction, a worker killed
mid-task, the broker restarted with tasks queued. After recovery every effect happened once.

To catch a task mid-transaction the test holds the channel lock from its own connection: the
order sync then waits inside its transaction, where the fault is injected.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from decimal import Decimal as D

import psycopg
import pytest
from django.db import connection

from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.events import order_changed
from saleor_dividend_plugin.locks import LockSpace
from saleor_dividend_plugin.models import LedgerTransaction, OrderEvent, OrderRecord, OrderStatus
from saleor_dividend_plugin.tasks import sync_order_task
from standalone_host.store import services
from standalone_host.workers import start_worker, stop_workers

from .tally import count

pytestmark = pytest.mark.worker


def wait_for(condition, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def paid_order(channel, user, amount="100"):
    """An order placed and paid in the store, its events not delivered yet."""
    order = services.place_order(
        channel.slug, channel.currency, user, [(D(amount), "default")], notify=False
    )
    return services.charge(order, notify=False)


@contextlib.contextmanager
def channel_lock_held(channel):
    """Holds the channel lock from a connection of the test's own until the block ends."""
    holder = psycopg.connect(
        host="127.0.0.1", user="postgres", dbname=connection.settings_dict["NAME"]
    )
    try:
        holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LockSpace.CHANNEL, channel.pk])
        yield holder.info.backend_pid
    finally:
        holder.close()


def waiting_for_lock(holder_pid) -> int | None:
    """The backend of a task waiting for the channel lock inside its transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid NOT IN (pg_backend_pid(), %s) AND wait_event_type = 'Lock'"
            " AND state = 'active' AND query LIKE %s",
            [holder_pid, "%pg_advisory_xact_lock%"],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def applied_once(order) -> bool:
    """The order is confirmed, with one funding and one rewards posting (and at most one payout
    to the queue ahead of it)."""
    record = OrderRecord.objects.filter(order_id=str(order.pk)).first()
    if record is None or record.status != OrderStatus.CONFIRMED:
        return False
    kinds = sorted(LedgerTransaction.objects.filter(order=record).values_list("kind", flat=True))
    assert kinds in (
        ["order_funding", "order_rewards"],
        ["order_funding", "order_rewards", "queue_payout"],
    ), kinds
    return True


def test_a_connection_dropped_mid_transaction_is_retried_and_applied_once(
    start_celery_worker, make_shop, make_user
):
    shop = make_shop()
    start_celery_worker()
    first = paid_order(shop.channel, make_user())
    second = paid_order(shop.channel, make_user())
    with channel_lock_held(shop.channel) as holder:
        sync_order_task.delay(str(first.pk))
        wait_for(lambda: waiting_for_lock(holder), what="the sync to wait for the lock")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [waiting_for_lock(holder)])
        count("faults: database connection dropped mid-transaction")
        # The dropped transaction left nothing behind.
        assert not OrderRecord.objects.filter(order_id=str(first.pk)).exists()
        sync_order_task.delay(str(second.pk))
    wait_for(lambda: applied_once(first), what="the retried sync")
    wait_for(lambda: applied_once(second), what="the next order")
    # The retry may come after the second order: whichever was confirmed first holds the queue
    # entry that both orders' 20.00 pool shares paid.
    assert sorted([shop.wallet(first.user), shop.wallet(second.user)]) == [0, D("40.00")]
    assert audit_channel(shop.channel) == []


def test_a_kept_connection_dropped_between_tasks_is_replaced_by_the_retry(
    start_celery_worker, make_shop, make_user
):
    """With CELERY_DB_REUSE_MAX a worker keeps its connection from task to task, and Celery does
    not look at it again: a connection the database dropped while the worker was idle fails the
    next task outside any transaction, and its retry must not get the same dead connection."""
    shop = make_shop()
    start_celery_worker(settings={"CELERY_DB_REUSE_MAX": "1000"})
    first, second = paid_order(shop.channel, make_user()), paid_order(shop.channel, make_user())
    assert sync_order_task.delay(str(first.pk)).get(timeout=60) == "recorded, confirmed"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
            " current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        assert cursor.fetchall(), "the worker's kept connection"
    count("faults: kept connection dropped between tasks")
    assert sync_order_task.delay(str(second.pk)).get(timeout=60) == "recorded, confirmed"
    assert applied_once(first) and applied_once(second)
    assert audit_channel(shop.channel) == []


@pytest.mark.slow
def test_a_worker_killed_mid_task_leaves_nothing_and_the_redelivered_task_applies_once(
    start_celery_worker, make_shop, make_user
):
    shop = make_shop()
    [worker] = start_celery_worker()
    order = paid_order(shop.channel, make_user())
    with channel_lock_held(shop.channel) as holder:
        sync_order_task.delay(str(order.pk))
        wait_for(lambda: waiting_for_lock(holder), what="the sync to wait for the lock")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        count("faults: worker killed mid-task")
    wait_for(lambda: waiting_for_lock(0) is None, what="the killed transaction to end")
    assert not OrderRecord.objects.filter(order_id=str(order.pk)).exists()
    assert not LedgerTransaction.objects.exists()

    start_celery_worker(concurrency=2)
    # The broker hands the unacknowledged message out again, and the store sends its next event:
    # two deliveries of the same sync, at once.
    results = [sync_order_task.delay(str(order.pk)) for _ in range(2)]
    outcomes = [result.get(timeout=60) for result in results]
    # The killed task's event was still pending: whichever delivery drains the channel applies
    # all three events in one batch; the other finds the drain taken, or nothing left.
    assert "recorded, confirmed" in outcomes, outcomes
    assert set(outcomes) <= {"recorded, confirmed", "left to the channel's drain", "nothing to do"}
    assert applied_once(order)
    assert not OrderEvent.objects.exists()
    assert audit_channel(shop.channel) == []


@pytest.mark.slow
def test_a_worker_killed_mid_batch_leaves_nothing_and_the_next_event_drains_it_once(
    start_celery_worker, make_shop, make_user
):
    shop = make_shop()
    [worker] = start_celery_worker()
    orders = [paid_order(shop.channel, make_user(), amount) for amount in ("100", "50", "30")]
    with channel_lock_held(shop.channel) as holder:
        # The hooks' way: the first event calls the channel's drain, the others find it called.
        for order in orders:
            order_changed(order.pk, shop.channel.slug)
        wait_for(lambda: waiting_for_lock(holder), what="the drain to wait for the lock")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        count("faults: worker killed mid-batch")
    wait_for(lambda: waiting_for_lock(0) is None, what="the killed transaction to end")
    assert not OrderRecord.objects.exists()
    assert not LedgerTransaction.objects.exists()
    assert OrderEvent.objects.count() == 3

    # The killed drain had answered its call, so the store's next event calls a new one, which
    # applies the killed batch and the new event together.
    start_celery_worker()
    later = paid_order(shop.channel, make_user(), "20")
    order_changed(later.pk, shop.channel.slug)
    wait_for(lambda: not OrderEvent.objects.exists(), what="the next drain")
    assert all(applied_once(order) for order in [*orders, later])
    assert audit_channel(shop.channel) == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Broker:
    """A Redis server of the test's own, persisting every write so that a restart keeps the
    queued tasks, as a production broker is configured to."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.directory),
            "--daemonize", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for(self.answers, timeout=20, what="redis-server to start")

    def answers(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
            return True
        return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def broker(tmp_path):
    own = Broker(tmp_path)
    own.start()
    try:
        yield own
    finally:
        own.stop()


@pytest.mark.slow
def test_tasks_queued_across_a_broker_restart_are_applied_once(
    transactional_db, broker, make_shop, make_user
):
    from standalone_host.celery import app

    shop = make_shop()
    queue = f"dividend-faults-{uuid.uuid4().hex[:8]}"
    orders = [paid_order(shop.channel, make_user(), amount) for amount in ("100", "50", "80")]

    def send(order):
        with app.connection_for_write(broker.url) as conn:
            sync_order_task.apply_async((str(order.pk),), connection=conn, queue=queue)

    # Queued (twice each, as duplicated events) while no worker runs, then the broker restarts
    for order in orders + orders:
        send(order)
    broker.stop()
    broker.start()
    count("faults: broker restarted with tasks queued")
    env = {
        "CELERY_BROKER_URL": broker.url,
        "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{broker.port}/1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "DJANGO_SETTINGS_MODULE": "standalone_host.settings",
    }
    worker = start_worker(queue, f"{queue}@test", concurrency=2, env=env)
    try:
        wait_for(lambda: all(applied_once(o) for o in orders), timeout=90, what="the queue")
        # Restarted again under a running worker: it reconnects and takes the next events.
        broker.stop()
        count("faults: broker restarted under a running worker")
        later = paid_order(shop.channel, make_user(), "40")
        broker.start()
        send(later)
        send(later)
        wait_for(lambda: applied_once(later), timeout=90, what="the worker to reconnect")
    finally:
        stop_workers([worker], timeout=20)
    assert LedgerTransaction.objects.filter(kind="order_funding").count() == 4
    # Confirmed in the order the queue delivered them, each funding the entries ahead of it.
    assert audit_channel(shop.channel) == []
