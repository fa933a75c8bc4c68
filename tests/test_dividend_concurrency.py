"""Many orders confirmed at once in one channel: eight processes race through `sync_order` for
the same 2,000 orders (some delivered twice), as parallel Celery workers would.

The result must be exactly what confirming the orders one by one, in the order their funding was
posted, would give: no entry paid twice, no head skipped, the pool never overdrawn.
"""

import os
import random
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal as D

import pytest
from django.db import connection

from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.models import (
    Account,
    AccountKind,
    LedgerTransaction,
    OrderRecord,
    OrderStatus,
    QueueEntry,
    QueueStatus,
)
from saleor_dividend_plugin.money import round_down
from standalone_host.store.models import StoreOrder, StoreOrderLine

WORKERS = 8
ORDERS = 2000
CUSTOMERS = 300
RATIO = D("0.2")
CAP = D("150")
PER_CUSTOMER = 3

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_confirmations_pay_the_queue_exactly_once_in_order(
    transactional_db, make_shop, make_user, tmp_path
):
    shop = make_shop(
        release_ratio="0",
        points_backing_ratio="0",
        referral_mode="off",
        payout_mode="fifo",
        dividend_ratio=str(RATIO),
        free_ratio="1",
        queue_max_amount=str(CAP),
        queue_max_entries_per_member=str(PER_CUSTOMER),
    )
    customers = [make_user() for _ in range(CUSTOMERS)]
    # Paid store orders, written in bulk (placing 2,000 one by one would take longer than
    # confirming them).
    orders, lines = [], []
    for i in range(ORDERS):
        # Every 40th order is a guest's: it funds the pool but never queues.
        user = None if i % 40 == 39 else customers[i % CUSTOMERS]
        amount = D(500 + (i * 7919) % 20000) / 100  # 5.00 to 204.99
        order = StoreOrder(
            channel=shop.channel.slug,
            currency="USD",
            user=user,
            number=str(i + 1),
            charged=amount,
        )
        orders.append(order)
        lines.append(StoreOrderLine(order=order, gross=amount, net=amount))
    StoreOrder.objects.bulk_create(orders)
    StoreOrderLine.objects.bulk_create(lines)
    order_ids = [str(order.pk) for order in orders]

    shares = _shares(order_ids)
    assert sum(map(len, shares)) > ORDERS  # some orders are delivered twice
    _confirm_in_parallel(shares, tmp_path)

    records = OrderRecord.objects.filter(channel=shop.channel)
    assert records.count() == ORDERS
    assert set(records.values_list("status", flat=True)) == {OrderStatus.CONFIRMED}
    assert audit_channel(shop.channel) == []

    # Confirmation order is the order in which the fundings were posted (under the channel lock).
    fundings = LedgerTransaction.objects.filter(channel=shop.channel, kind="order_funding")
    confirmed = list(
        fundings.order_by("pk").values_list("order_id", "order__member_id", "order__amount")
    )
    assert len(confirmed) == ORDERS
    funding_rank = {order_pk: rank for rank, (order_pk, _, _) in enumerate(confirmed)}

    # The queue is FIFO by confirmation: entries' sequence follows the confirmations, and the
    # freed ones are exactly the first ones.
    entries = list(QueueEntry.objects.filter(channel=shop.channel).order_by("seq"))
    ranks = [funding_rank[e.order_id] for e in entries]
    assert ranks == sorted(ranks)
    statuses = [e.status for e in entries]
    freed = statuses.count(QueueStatus.FREED)
    assert 0 < freed < len(entries)
    assert statuses == [QueueStatus.FREED] * freed + [QueueStatus.WAITING] * (len(entries) - freed)
    assert all(e.received == e.target for e in entries[:freed])
    assert all(e.received == 0 for e in entries[freed + 1 :])

    # Every cent: what one-by-one confirmation gives, entry by entry.
    expected_received, expected_pool = _one_by_one(confirmed)
    assert {e.order_id: e.received for e in entries} == expected_received

    balances = Counter()
    for kind, balance in Account.objects.filter(channel=shop.channel, unit="USD").values_list(
        "kind", "balance"
    ):
        balances[kind] += balance
    funded = sum((round_down(RATIO * amount, "USD") for _, _, amount in confirmed), D(0))
    assert -balances[AccountKind.PLATFORM] == funded
    assert balances[AccountKind.WALLET] + balances[AccountKind.DIVIDEND_POOL] == funded
    assert balances[AccountKind.WALLET] == sum((e.received for e in entries), D(0))
    assert balances[AccountKind.DIVIDEND_POOL] == expected_pool


def _shares(order_ids):
    """Each worker's orders, shuffled, plus a few of its neighbour's: duplicates delivered by two
    workers at about the same time."""
    rng = random.Random(20260105)
    shuffled = order_ids[:]
    rng.shuffle(shuffled)
    shares = [shuffled[w::WORKERS] for w in range(WORKERS)]
    for w in range(WORKERS):
        shares[w] = shares[w] + rng.sample(shares[(w + 1) % WORKERS], 15)
        rng.shuffle(shares[w])
    return shares


def _confirm_in_parallel(shares, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "DJANGO_SETTINGS_MODULE": "standalone_host.settings",
        "PYTHONPATH": os.getcwd(),
    }
    workers = []
    for number, share in enumerate(shares):
        path = tmp_path / f"worker-{number}.txt"
        path.write_text("\n".join(share))
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.confirm_orders", str(path)],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:  # all set up: start them together
            worker.stdin.write("go\n")
            worker.stdin.flush()
        deadline = time.monotonic() + 600  # a bound for a stuck lock, not a performance target
        for worker in workers:
            assert worker.wait(timeout=max(deadline - time.monotonic(), 1)) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def _one_by_one(confirmed):
    """The queue and pool of confirming `confirmed` serially: (received per order, pool)."""
    pool = D(0)
    waiting = []  # [order pk, member, target, received], head first
    received = {}
    for order_pk, member, amount in confirmed:
        pool += round_down(RATIO * amount, "USD")
        while pool > 0 and waiting:
            head = waiting[0]
            pay = min(head[2] - head[3], pool)
            head[3] += pay
            pool -= pay
            received[head[0]] = head[3]
            if head[3] == head[2]:
                waiting.pop(0)
        mine = sum(1 for entry in waiting if entry[1] == member)
        if member is not None and mine < PER_CUSTOMER:
            waiting.append([order_pk, member, round_down(min(amount, CAP), "USD"), D(0)])
            received[order_pk] = D(0)
    return received, pool
