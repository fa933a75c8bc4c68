"""The daily release while orders keep being confirmed: processes confirm today's orders, as
Celery workers would, while yesterday is settled in this one.

The release reads the pool's balance and what later days put into it in separate statements; only
the channel lock keeps a confirmation from committing in between. Here each statement a settlement
step runs in its transaction first waits (Django's `execute_wrapper`) until one more of today's
orders has been confirmed, or a moment when none can be (the lock holds them back): without the
lock, confirmations would commit inside the release every time. Yesterday's budget and shares
must still be exactly those of yesterday's orders.
"""

import datetime
import os
import subprocess
import sys
import time
from decimal import ROUND_DOWN
from decimal import Decimal as D

import psycopg
import pytest
from django.db import connection

from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.models import OrderRecord, OrderStatus, Release, SettlementDay
from saleor_dividend_plugin.money import round_down
from saleor_dividend_plugin.settlement import SETTLED, settle_day
from standalone_host.store.models import StoreOrder, StoreOrderLine

pytestmark = pytest.mark.django_db(transaction=True)

YESTERDAYS = [D(f"{10 + 7 * i}.{i:02d}") for i in range(20)]  # 10.00 to 143.19
CONFIRMERS = 4
# More than the confirmers get through while yesterday is settled; they are stopped then.
TODAYS = 2000
# How long a statement of the settlement waits for a confirmation to commit before it runs.
PATIENCE = 0.2


def test_orders_confirmed_during_the_release_never_change_yesterdays_budget(
    transactional_db, make_shop, make_user, clock, tmp_path
):
    now = clock.now
    yesterday = now.date() - datetime.timedelta(days=1)
    shop = make_shop(timezone="UTC")
    clock.set(datetime.datetime.combine(yesterday, datetime.time(12), tzinfo=datetime.UTC))
    members = {}
    for amount in YESTERDAYS:
        record = shop.order(make_user(), str(amount))
        members[record.member_id] = amount
    clock.set(now)
    # Today's orders come from other customers, so that yesterday's shares depend on yesterday's
    # orders alone, whenever today's are confirmed.
    today = _paid_orders(shop.channel, [make_user() for _ in range(30)], TODAYS)

    confirmers = _start_confirmers(today, tmp_path)
    try:
        confirmed_today = OrderRecord.objects.filter(
            channel=shop.channel, confirmed_day__gt=yesterday
        )
        _wait_for(lambda: confirmed_today.count() >= 5, "today's confirmations to start")
        before = confirmed_today.count()
        with _ConfirmationsFirst(shop.channel, yesterday) as wrapper:
            with connection.execute_wrapper(wrapper):
                result = settle_day(shop.channel, yesterday)
        # The settlement ran while confirmations were coming in, and they were still coming.
        assert before < confirmed_today.count() < TODAYS
        assert all(confirmer.poll() is None for confirmer in confirmers)
    finally:
        # Enough has been seen: what a killed confirmer had not committed rolls back.
        for confirmer in confirmers:
            confirmer.kill()
            confirmer.wait()

    assert result.status == SETTLED
    assert set(
        OrderRecord.objects.filter(channel=shop.channel).values_list("status", flat=True)
    ) == {OrderStatus.CONFIRMED}
    # Release ratio 0.1 of each of yesterday's orders; nothing carried over from before.
    budget = sum((round_down(D("0.1") * amount, "USD") for amount in YESTERDAYS), D(0))
    settlement = SettlementDay.objects.get(channel=shop.channel, day=yesterday)
    assert (settlement.revenue, settlement.budget) == (sum(YESTERDAYS), budget)
    # Every member is in the first tier (weight 1) with contribution A and energy 3A.
    weighted = sum(YESTERDAYS)
    expected = {
        member: min(
            3 * amount,
            (amount * budget / weighted).quantize(D("0.01"), rounding=ROUND_DOWN),
        )
        for member, amount in members.items()
    }
    paid = dict(
        Release.objects.filter(channel=shop.channel, day=yesterday).values_list(
            "member_id", "amount"
        )
    )
    assert paid == expected
    assert settlement.released == sum(expected.values())
    assert audit_channel(shop.channel) == []


class _ConfirmationsFirst:
    """Before each statement of a settlement step (each runs in a transaction), wait until
    another of today's orders has been confirmed, or `PATIENCE` seconds. Counts on a connection
    of its own, outside the settlement's transaction."""

    def __init__(self, channel, day):
        self.params = (channel.pk, day)

    def __enter__(self):
        name = connection.settings_dict["NAME"]
        self.counter = psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}")
        self.counter.autocommit = True
        self.seen = self._confirmed()
        return self

    def __exit__(self, *exc):
        self.counter.close()

    def _confirmed(self) -> int:
        return self.counter.execute(
            "SELECT count(*) FROM dividend_order WHERE channel_id = %s AND confirmed_day > %s",
            self.params,
        ).fetchone()[0]

    def __call__(self, execute, sql, params, many, context):
        if connection.in_atomic_block:
            deadline = time.monotonic() + PATIENCE
            while self._confirmed() == self.seen and time.monotonic() < deadline:
                time.sleep(0.005)
            self.seen = self._confirmed()
        return execute(sql, params, many, context)


def _paid_orders(channel, customers, count) -> list[str]:
    orders, lines = [], []
    for i in range(count):
        amount = D(500 + (i * 7919) % 10000) / 100
        order = StoreOrder(
            channel=channel.slug,
            currency=channel.currency,
            user=customers[i % len(customers)],
            number=f"today-{i + 1}",
            charged=amount,
        )
        orders.append(order)
        lines.append(StoreOrderLine(order=order, gross=amount, net=amount))
    StoreOrder.objects.bulk_create(orders)
    StoreOrderLine.objects.bulk_create(lines)
    return [str(order.pk) for order in orders]


def _start_confirmers(order_ids, tmp_path) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "DJANGO_SETTINGS_MODULE": "standalone_host.settings",
        "PYTHONPATH": os.getcwd(),
    }
    confirmers = []
    for number in range(CONFIRMERS):
        path = tmp_path / f"confirmer-{number}.txt"
        path.write_text("\n".join(order_ids[number::CONFIRMERS]))
        confirmers.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.confirm_orders", str(path)],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for confirmer in confirmers:
        assert confirmer.stdout.readline().strip() == "ready"
    for confirmer in confirmers:
        confirmer.stdin.write("go\n")
        confirmer.stdin.flush()
    return confirmers


def _wait_for(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
