"""Soak: real workers on Redis take a flood of order events (duplicated, out of order, stale)
while the past days are settled alongside; afterwards no task failed, the audit is clean and the
totals match a recomputation from the store's orders alone.

The past days' orders are paid in-process with the clock set back; today's go through the
workers, who settle every ended day while they sync the orders.
"""

import datetime
import json
import random
import time
from decimal import ROUND_DOWN, Decimal

import pytest
from celery.result import ResultSet
from django.db.models import Sum
from django.utils import timezone

from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.events import order_changed
from saleor_dividend_plugin.ledger import Accounts
from saleor_dividend_plugin.models import (
    Account,
    AccountKind,
    LedgerTransaction,
    OrderEvent,
    OrderRecord,
    QueueEntry,
    Release,
    SettlementDay,
)
from saleor_dividend_plugin.tasks import settle_due_days, sync_order_task
from standalone_host.store import services
from standalone_host.store.models import StoreOrder

from .conftest import Shop
from .tally import count

pytestmark = pytest.mark.worker
D = Decimal
CENT = D("0.01")
PAST_DAYS = 4
# One tier keeps the points of an order independent of the order it was confirmed in.
SETTINGS = {
    "tiers": json.dumps(
        [
            {
                "code": "member",
                "name": "Member",
                "min_contribution": "0",
                "release_weight": "1",
                "points_multiplier": "1",
            }
        ]
    ),
    "gift_package_tier": "member",
    "referral_mode": "off",
}


def down(amount, quantum=CENT):
    return amount.quantize(quantum, rounding=ROUND_DOWN)


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


class Flood:
    """Order events for the workers: each event sent one to three times, in shuffled order,
    some of them only after the order has changed again (stale and reordered deliveries). Most go
    the hooks' way (queued, and the channel's drain called when none is outstanding); a quarter
    arrive as one-order sync tasks, as an earlier version sent them and as an event sends itself
    when it cannot queue."""

    def __init__(self, seed):
        self.random = random.Random(seed)
        self.results = []
        self.queued = 0
        self.held_back = []

    def send(self, orders):
        events = [o.pk for o in orders for _ in range(self.random.randint(1, 3))]
        self.random.shuffle(events)
        # A fifth of them arrive late, after the store's next change.
        cut = len(events) // 5
        late, now = events[:cut], events[cut:]
        for order_id in self.held_back + now:
            if self.random.random() < 0.25:
                self.results.append(sync_order_task.delay(str(order_id)))
            else:
                order_changed(order_id, "web")
                self.queued += 1
        self.held_back = late

    def flush(self):
        self.send([])


def run_soak(start_celery_worker, make_shop, make_user, clock, *, orders, workers, concurrency):
    real_now = timezone.now()
    shop: Shop = make_shop(**SETTINGS)
    users = [make_user() for _ in range(max(orders // 4, 3))]
    rng = random.Random(orders)

    # The past days, paid in-process
    for days_ago in range(PAST_DAYS, 0, -1):
        clock.set(real_now - datetime.timedelta(days=days_ago))
        for _ in range(3):
            shop.order(rng.choice(users), D(rng.randint(100, 30_000)) / 100)
    clock.set(real_now)

    start_celery_worker(count=workers, concurrency=concurrency)
    flood = Flood(orders)
    settlements = []

    placed = [
        services.place_order(
            "web", "USD", rng.choice(users), [(D(rng.randint(100, 30_000)) / 100, "default")],
            shipping=D("4.99") if rng.random() < 0.3 else D(0), notify=False,
        )
        for _ in range(orders)
    ]  # fmt: skip
    flood.send(placed)
    settlements.append(settle_due_days.delay("web"))

    # Payments: most in full, some in two parts; a few orders are cancelled unpaid
    paid, cancelled = [], []
    for order in placed:
        roll = rng.random()
        if roll < 0.05:
            cancelled.append(services.cancel(order, "cancelled", notify=False))
        elif roll < 0.15:
            services.charge(order, D("1.00"), notify=False)  # part-paid, then paid
            paid.append(services.charge(order, notify=False))
        elif roll < 0.95:
            paid.append(services.charge(order, notify=False))
    flood.send(paid + cancelled)
    settlements.append(settle_due_days.delay("web"))

    # Refunds, part and full, and cancellations after payment (which change nothing)
    refunded = []
    for order in rng.sample(paid, len(paid) // 8):
        share = rng.choice([D("0.25"), D("0.5"), D(1)])
        refunded.append(services.refund(order, down(order.charged * share), notify=False))
    late_cancelled = [services.cancel(o, "cancelled", notify=False) for o in paid[:3]]
    flood.send(refunded + late_cancelled)
    settlements.append(settle_due_days.delay("web"))
    flood.flush()

    # Every task ends, none failed, and the drains leave no event behind
    ResultSet(flood.results + settlements).join_native(timeout=orders + 120, propagate=True)
    pending = OrderEvent.objects.filter(channel=shop.channel)
    wait_for(lambda: not pending.exists(), orders + 120, "the drains to apply every queued event")
    events = len(flood.results) + flood.queued
    count("soak: order events processed by workers", events)
    count("soak: of them queued by the hooks' path", flood.queued)
    count("soak: settlement runs alongside", len(settlements))

    channel = shop.channel
    assert audit_channel(channel) == []
    expect_totals(channel)
    days = [(real_now - datetime.timedelta(days=n)).date() for n in range(PAST_DAYS, 0, -1)]
    settled = SettlementDay.objects.filter(channel=channel, finished_at__isnull=False)
    assert sorted(settled.values_list("day", flat=True)) == days
    assert LedgerTransaction.objects.filter(kind="daily_release").count() <= PAST_DAYS
    released = settled.aggregate(s=Sum("released"))["s"]
    assert Release.objects.filter(channel=channel).aggregate(s=Sum("amount"))["s"] == released
    wallets = sum_balances(channel, AccountKind.WALLET)
    paid_to_queue = QueueEntry.objects.filter(channel=channel).aggregate(s=Sum("received"))["s"]
    assert wallets == paid_to_queue + released
    return events


def sum_balances(channel, kind):
    held = Account.objects.filter(channel=channel, kind=kind).aggregate(s=Sum("balance"))["s"]
    return held or D(0)


def expect_totals(channel):
    """Recompute from the store's orders what the ledger must hold (default ratios: 0.2 to the
    pool, 0.1 to the release pool, 0.05 to the points backing; 1 point and 3 energy per unit)."""
    funded = contribution = points = D(0)
    confirmed = void = 0
    records = {r.order_id: r for r in OrderRecord.objects.filter(channel=channel)}
    orders = StoreOrder.objects.filter(channel="web").prefetch_related("lines")
    for order in orders:
        amount = sum((line.gross for line in order.lines.all()), D(0))
        record = records[str(order.pk)]
        if order.charged >= amount + order.shipping_gross:
            confirmed += 1
            assert record.status == "confirmed"
            funded += down(amount * D("0.2")) + down(amount * D("0.1")) + down(amount * D("0.05"))
            refunded = min(down(order.refunded), amount)
            assert record.refunded == refunded
            contribution += amount - refunded
            earned = down(amount, D(1))
            points += earned - down(earned * refunded / amount, D(1))
        elif order.status == "cancelled":
            void += 1
            assert record.status == "void"
        else:
            assert record.status == "pending"
    accounts = Accounts(channel)
    assert -accounts.system(AccountKind.PLATFORM).balance == funded
    assert -accounts.system(AccountKind.CONTRIBUTION_ISSUED).balance == contribution
    # Points never redeemed here, so a refund can always take back its share.
    assert -accounts.system(AccountKind.POINTS_ISSUED).balance == points
    assert (confirmed, void) == (
        OrderRecord.objects.filter(channel=channel, status="confirmed").count(),
        OrderRecord.objects.filter(channel=channel, status="void").count(),
    )
    assert confirmed > 0 and void > 0


def test_a_few_hundred_events_with_settlement_alongside(
    start_celery_worker, make_shop, make_user, clock
):
    events = run_soak(
        start_celery_worker, make_shop, make_user, clock, orders=80, workers=2, concurrency=1
    )
    assert events >= 300


@pytest.mark.slow
def test_fifty_thousand_events_with_settlement_alongside(
    start_celery_worker, make_shop, make_user, clock
):
    # About four events an order: placed, paid (some in two parts or cancelled), an eighth
    # refunded, each sent one to three times.
    events = run_soak(
        start_celery_worker, make_shop, make_user, clock, orders=13_000, workers=3, concurrency=2
    )
    assert events >= 50_000
