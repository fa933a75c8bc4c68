"""Order events and settlement as Celery tasks, most of them through real workers on Redis.

Days: an order's day is the day it is paid in the channel's timezone, and only a day that has
ended can be settled. The orders here are paid while the channel keeps the time of UTC-12
(Etc/GMT+12); the channel then moves to UTC+14 (Pacific/Kiritimati), where that day is always
over (26 hours ahead), and the day is settled.
"""

import datetime
import os
import signal
import time
import uuid
from decimal import ROUND_DOWN, Decimal, localcontext

import kombu.exceptions
import psycopg
import pytest
from django.db import OperationalError, connection

from saleor_dividend_plugin import events, lifecycle, tasks
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.channels import configure_channel
from saleor_dividend_plugin.ledger import Accounts
from saleor_dividend_plugin.locks import LockSpace
from saleor_dividend_plugin.models import (
    AccountKind,
    LedgerTransaction,
    OrderEvent,
    OrderRecord,
    OrderStatus,
    Release,
    SettlementDay,
)
from saleor_dividend_plugin.tasks import settle_channel_day, settle_due_days, sync_order_task
from standalone_host.store import services
from standalone_host.store.models import StoreOrder

from .tally import count

D = Decimal
BEHIND = {"timezone": "Etc/GMT+12"}
AHEAD = {"timezone": "Pacific/Kiritimati"}


def wait_for(condition, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def confirmed(order) -> bool:
    return OrderRecord.objects.filter(order_id=str(order.pk), status=OrderStatus.CONFIRMED).exists()


def buy(channel, user, amount):
    """Checkout and payment, each in its own committed transaction as the store does them; the
    rewards follow in the worker."""
    order = services.place_order(channel.slug, channel.currency, user, [(D(amount), "default")])
    services.charge(order)
    wait_for(lambda: confirmed(order), what=f"order {order.number} to be confirmed")
    return OrderRecord.objects.get(order_id=str(order.pk))


@pytest.mark.worker
def test_orders_and_settlement_run_in_the_worker(celery_worker_process, make_user):
    channel = configure_channel("web", "USD", BEHIND, active=True)
    alice, bob = make_user("alice"), make_user("bob")

    # Orders go through the task path: store service -> order_changed -> on_commit -> worker
    first = buy(channel, alice, "100")
    second = buy(channel, bob, "300")
    assert sync_order_task.delay(str(uuid.uuid4())).get(timeout=30) == (
        "order not found: nothing to do"
    )
    day = first.confirmed_day
    channel = configure_channel("web", "USD", AHEAD, active=True)

    outcome = settle_channel_day.delay("web", day.isoformat()).get(timeout=60)

    assert outcome == f"{day}: settled, released 40.00 to 2 members"
    accounts = Accounts(channel)
    alice, bob = first.member, second.member
    # Alice: 80 from the queue (Bob's order) + 10 released; Bob: 30 released (unit value 0.1)
    assert accounts.member(alice, AccountKind.WALLET).balance == D("90.00")
    assert accounts.member(bob, AccountKind.WALLET).balance == D("30.00")
    assert accounts.member(alice, AccountKind.ENERGY).balance == D("290.00")
    assert accounts.member(bob, AccountKind.ENERGY).balance == D("870.00")
    assert accounts.system(AccountKind.RELEASE_POOL).balance == 0
    settled = SettlementDay.objects.get(channel=channel, day=day)
    assert (settled.revenue, settled.budget, settled.released, settled.members_paid) == (
        D("400.00"),
        D("40.00"),
        D("40.00"),
        2,
    )
    assert settled.point_value == D("0.05") and settled.finished_at is not None
    assert audit_channel(channel) == []

    # Settling it again through the task does nothing and says so
    again = settle_channel_day.delay("web", day.isoformat()).get(timeout=60)
    assert again == f"{day}: already settled"
    assert LedgerTransaction.objects.filter(kind="daily_release").count() == 1


def add_members(channel, day, count: int, budget: Decimal) -> None:
    """`count` members made set-based, with contribution 10, 20 or 30 (by id) and three times as
    much energy, and `budget` for the release pool, in one balanced posting dated `day`."""
    accounts = Accounts(channel)
    codes = f"B{channel.pk}-%"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dividend_member (channel_id, referral_code, tier_code, granted_tier_code,"
            " first_confirmed_at, created_at)"
            " SELECT %s, %s || g, 'member', '', now(), now() FROM generate_series(1, %s) g",
            [channel.pk, codes[:-1], count],
        )
        cursor.execute(
            "INSERT INTO dividend_account (channel_id, member_id, kind, unit, balance,"
            " may_go_negative)"
            " SELECT m.channel_id, m.id, k.kind, k.unit, 0, false FROM dividend_member m,"
            " (VALUES ('points', 'PTS'), ('energy', 'ENERGY'), ('contribution', 'CONTRIB'),"
            "         ('wallet', %s)) k(kind, unit)"
            " WHERE m.channel_id = %s AND m.referral_code LIKE %s",
            [channel.currency, channel.pk, codes],
        )
        cursor.execute(
            "WITH txn AS (INSERT INTO dividend_transaction (channel_id, key, kind, day, memo,"
            "             created_at) VALUES (%(channel)s, %(codes)s, 'test_grant', %(day)s,"
            "             'bulk members', now()) RETURNING id),"
            " grant_ AS (SELECT a.id, a.unit, 10 * (1 + a.member_id %% 3)"
            "                   * CASE a.kind WHEN 'energy' THEN 3 ELSE 1 END AS amount"
            "            FROM dividend_account a JOIN dividend_member m ON m.id = a.member_id"
            "            WHERE m.channel_id = %(channel)s AND m.referral_code LIKE %(codes)s"
            "            AND a.kind IN ('energy', 'contribution'))"
            " INSERT INTO dividend_transfer"
            " (transaction_id, debit_account_id, credit_account_id, unit, amount)"
            " SELECT txn.id, i.id, g.id, g.unit, g.amount FROM txn, grant_ g"
            " JOIN dividend_account i ON i.id IN (%(e)s, %(c)s) AND i.unit = g.unit"
            " UNION ALL SELECT txn.id, %(platform)s, %(pool)s, %(cur)s, %(budget)s FROM txn",
            {
                "channel": channel.pk,
                "day": day,
                "cur": channel.currency,
                "budget": budget,
                "codes": codes,
                "e": accounts.system(AccountKind.ENERGY_ISSUED).pk,
                "c": accounts.system(AccountKind.CONTRIBUTION_ISSUED).pk,
                "platform": accounts.system(AccountKind.PLATFORM).pk,
                "pool": accounts.system(AccountKind.RELEASE_POOL).pk,
            },
        )


def expected_release(channel) -> dict[Decimal, tuple[int, Decimal]]:
    """By contribution: how many members have it and what each gets, by DESIGN §8 (every tier
    weight here is 1)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.balance, count(*) FROM dividend_account c JOIN dividend_account e"
            " ON e.member_id = c.member_id AND e.kind = 'energy' AND e.balance > 0"
            " WHERE c.channel_id = %s AND c.kind = 'contribution' GROUP BY 1",
            [channel.pk],
        )
        members = dict(cursor.fetchall())
    budget = Accounts(channel).system(AccountKind.RELEASE_POOL).balance
    weighted = sum(c * n for c, n in members.items())
    with localcontext(prec=80):
        return {
            c: (n, (c * budget / weighted).quantize(Decimal("0.01"), rounding=ROUND_DOWN))
            for c, n in members.items()
        }


def total(expected) -> Decimal:
    return sum((n * amount for n, amount in expected.values()), Decimal(0))


def paid_once(channel, day, expected):
    """Every member has one Release row of the expected amount, and a wallet equal to it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.balance, r.amount, w.balance, count(*) FROM dividend_account c"
            " JOIN dividend_account w ON w.member_id = c.member_id AND w.kind = 'wallet'"
            " LEFT JOIN dividend_release r ON r.member_id = c.member_id AND r.day = %s"
            " WHERE c.channel_id = %s AND c.kind = 'contribution' GROUP BY 1, 2, 3",
            [day, channel.pk],
        )
        rows = cursor.fetchall()
    return {contribution: (release, wallet, n) for contribution, release, wallet, n in rows} == {
        contribution: (amount, amount, n) for contribution, (n, amount) in expected.items()
    }


def backend_running(text: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE %s",
            [f"%{text}%"],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def settlement_lock_held(channel) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
            " AND objid = %s AND objsubid = 2",
            [LockSpace.SETTLEMENT, channel.pk],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.worker
# 20,000 members take a few seconds to release on two shared cores; 100,000 in the soak run.
@pytest.mark.parametrize(
    ("members", "budget"),
    [(20_000, "4936.27"), pytest.param(100_000, "24681.37", marks=pytest.mark.slow)],
)
def test_a_settlement_killed_mid_release_pays_every_member_once_when_run_again(
    start_celery_worker, make_shop, make_user, members, budget
):
    shop = make_shop(**BEHIND)
    day = shop.order(make_user(), "100").confirmed_day
    add_members(shop.channel, day, members, D(budget))
    channel = configure_channel("web", "USD", AHEAD, active=True)
    expected = expected_release(channel)
    [worker] = start_celery_worker()

    # Kill the worker (and its pool) while the release is running in the database
    pending = settle_channel_day.delay("web", day.isoformat())
    wait_for(lambda: backend_running("dividend_release_calc"), what="the release to start")
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    count(f"faults: worker killed mid-release ({members:,} members)")
    # The database rolls the release back once its connection is found dead
    wait_for(lambda: not settlement_lock_held(channel), what="the killed settlement to end")
    assert not pending.ready()
    settlement = SettlementDay.objects.get(channel=channel, day=day)
    assert (settlement.released_at, settlement.finished_at) == (None, None)
    assert not Release.objects.exists()
    assert not LedgerTransaction.objects.filter(kind="daily_release").exists()

    start_celery_worker()
    outcome = settle_channel_day.delay("web", day.isoformat()).get(timeout=120)

    released = total(expected)
    assert outcome == f"{day}: settled, released {released} to {members + 1} members"
    assert Release.objects.filter(day=day).count() == members + 1
    assert LedgerTransaction.objects.filter(kind="daily_release", day=day).count() == 1
    assert paid_once(channel, day, expected)
    settlement.refresh_from_db()
    assert settlement.finished_at is not None and settlement.released == released
    assert audit_channel(channel) == []


@pytest.mark.worker
def test_two_workers_settling_the_same_day_pay_once(start_celery_worker, make_shop, make_user):
    shop = make_shop(**BEHIND)
    day = shop.order(make_user(), "100").confirmed_day
    add_members(shop.channel, day, 5_000, D("1234.56"))
    channel = configure_channel("web", "USD", AHEAD, active=True)
    expected = expected_release(channel)
    start_celery_worker(count=2)

    first = settle_channel_day.delay("web", day.isoformat())
    second = settle_channel_day.delay("web", day.isoformat())
    outcomes = sorted([first.get(timeout=120), second.get(timeout=120)])

    done = [o for o in outcomes if "settled, released" in o]
    assert len(done) == 1
    [other] = [o for o in outcomes if o not in done]
    assert other in {f"{day}: busy", f"{day}: already settled"}
    assert LedgerTransaction.objects.filter(kind="daily_release", day=day).count() == 1
    assert Release.objects.filter(day=day).count() == 5_001
    assert paid_once(channel, day, expected)
    assert audit_channel(channel) == []


@pytest.mark.worker
def test_a_paused_channel_applies_refunds_and_catches_up_when_switched_on(
    celery_worker_process, make_user
):
    channel = configure_channel("web", "USD", {}, active=True)
    record = buy(channel, make_user(), "100")
    order = StoreOrder.objects.get(pk=record.order_id)
    points = Accounts(channel).member(record.member, AccountKind.POINTS)

    def refunded(amount):
        return lambda: OrderRecord.objects.get(pk=record.pk).refunded == D(amount)

    configure_channel("web", "USD", {}, active=False)
    # A refund the host reports while the channel is paused still reaches the rewards.
    services.refund(order, D("25.00"))
    wait_for(refunded("25.00"), what="the refund made while paused")
    # One it does not report (Saleor calls no hook of an inactive plugin) waits for the catch-up
    # scheduled when the channel is switched on again.
    services.refund(order, D("15.00"), notify=False)
    configure_channel("web", "USD", {}, active=True)
    wait_for(refunded("40.00"), what="the catch-up after switching the channel on")

    points.refresh_from_db()
    assert points.balance == D(60)
    assert audit_channel(channel) == []


def test_a_broker_outage_does_not_lose_the_order(
    shop, make_user, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def unreachable(*args, **kwargs):
        raise kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(tasks.drain_channel_task, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        order = services.place_order("web", "USD", make_user(), [(D("100"), "default")])
        services.charge(order)

    assert shop.record(order).status == OrderStatus.CONFIRMED
    # Each event found no drain outstanding (the one before ran here and answered the call).
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        f"could not call the rewards drain of channel {shop.channel.pk}; running it now"
    ] * 2
    assert audit_channel(shop.channel) == []


def test_an_order_event_the_plugin_cannot_queue_is_sent_as_a_task(
    shop, make_user, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    order = services.place_order("web", "USD", make_user(), [(D("100"), "default")], notify=False)
    services.charge(order, notify=False)
    sent = []

    def refused(*args):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(lifecycle, "queue_event", refused)
    monkeypatch.setattr(sync_order_task, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        events.order_changed(order.pk, "web")

    # The task retries the whole sync until the database answers again.
    assert sent == [str(order.pk)]
    assert not OrderEvent.objects.exists()
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        f"could not queue the rewards sync of order {order.pk}; sending it as a task"
    ]
    monkeypatch.undo()
    assert tasks.sync_order_now(str(order.pk)) == "recorded, confirmed"


def test_an_order_sync_waits_for_the_channel_lock_only_so_long(shop, make_user, monkeypatch):
    order = services.place_order("web", "USD", make_user(), [(D("100"), "default")], notify=False)
    services.charge(order, notify=False)
    monkeypatch.setattr(lifecycle, "ORDER_LOCK_TIMEOUT", "200ms")
    dsn = connection.settings_dict
    with psycopg.connect(
        host=dsn["HOST"], port=dsn["PORT"], user=dsn["USER"], dbname=dsn["NAME"], autocommit=True
    ) as other:
        # Another sync or a settlement step holds the channel
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LockSpace.CHANNEL, shop.channel.pk])
        with pytest.raises(OperationalError, match="lock timeout") as error:
            tasks.sync_order_now(str(order.pk))
        # Given up before the session closes (a closing backend lets its locks go a little
        # after the client has gone).
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [LockSpace.CHANNEL, shop.channel.pk])
    # ... which the task retries later, with backoff
    assert isinstance(error.value, sync_order_task.autoretry_for)
    assert (sync_order_task.retry_backoff, sync_order_task.max_retries) == (2, 10)
    assert not OrderRecord.objects.filter(order_id=str(order.pk)).exists()
    assert tasks.sync_order_now(str(order.pk)) == "recorded, confirmed"


def test_the_beat_task_applies_events_whose_drain_call_was_lost(shop, make_user, clock):
    clock.set(datetime.datetime(2025, 3, 10, 12, tzinfo=datetime.UTC))
    shop.order(make_user(), "100")
    order = services.place_order("web", "USD", make_user(), [(D("50"), "default")], notify=False)
    services.charge(order, notify=False)
    # The event was queued and its call noted, but the broker lost the task; no event came after.
    lifecycle.queue_event("web", str(order.pk))
    clock.set(datetime.datetime(2025, 3, 11, 0, 15, tzinfo=datetime.UTC))

    assert settle_due_days("web") == ["2025-03-10: settled, released 10.00 to 1 member"]
    record = shop.record(order)
    # Confirmed when it was applied: the day that has ended is settled without it.
    assert (record.status, record.confirmed_day) == (
        OrderStatus.CONFIRMED,
        datetime.date(2025, 3, 11),
    )
    assert not OrderEvent.objects.exists()
    assert audit_channel(shop.channel) == []


def test_the_beat_task_settles_every_day_that_has_ended(shop, make_user, clock):
    clock.set(datetime.datetime(2025, 3, 10, 12, tzinfo=datetime.UTC))
    shop.order(make_user(), "100")
    clock.set(datetime.datetime(2025, 3, 13, 0, 15, tzinfo=datetime.UTC))

    assert settle_due_days("web") == [
        "2025-03-10: settled, released 10.00 to 1 member",
        "2025-03-11: settled, released 0.00 to 0 members",
        "2025-03-12: settled, released 0.00 to 0 members",
    ]
    assert settle_due_days("web") == []
    assert settle_due_days("shop") == []
    # An inactive channel is left alone by beat (the command still settles it)
    configure_channel("web", "USD", {}, active=False)
    clock.advance(days=1)
    assert settle_due_days("web") == []
    assert not SettlementDay.objects.filter(day=datetime.date(2025, 3, 13)).exists()
