"""Upgrading in place: a store that ran the previous version keeps every balance, posting, record
and key through the migrations, the audit holds after them, and what was waiting is still done.

The store's data is written with today's code, the schema is taken back to the previous
version's (the migrations that follow only change what the data written here does not use), the
previous version's own rows are added in its shape, and the schema is brought forward again.
"""

import datetime
import json
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from saleor_dividend_plugin import lifecycle, points, wallet
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.models import (
    Account,
    LedgerTransaction,
    OrderEvent,
    OrderRecord,
    OrderStatus,
    Release,
    Withdrawal,
)
from saleor_dividend_plugin.settlement import settle_due
from standalone_host.store import services

APP = "saleor_dividend_plugin"
# The version before order events named only their order: each event kept the order's snapshot.
SNAPSHOT_EVENTS = "0006_order_events"


def migrate(target: str) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([(APP, target)])


def latest() -> str:
    executor = MigrationExecutor(connection)
    return max(name for app, name in executor.loader.graph.leaf_nodes() if app == APP)


def figures(channel) -> dict:
    """Everything a store keeps, as values: balances with their totals, postings by key with
    their entries, order records, releases, withdrawals."""
    return {
        "accounts": sorted(
            Account.objects.filter(channel=channel).values_list(
                "id", "member_id", "kind", "unit", "balance", "total_in", "total_out"
            )
        ),
        "postings": sorted(
            (
                t.key,
                t.kind,
                t.day,
                t.memo,
                sorted((e.account_id, e.amount) for e in t.entries.all()),
            )
            for t in LedgerTransaction.objects.filter(channel=channel).prefetch_related("entries")
        ),
        "orders": sorted(
            OrderRecord.objects.filter(channel=channel).values_list(
                "order_id", "status", "amount", "refunded", "points", "energy"
            )
        ),
        "releases": sorted(
            Release.objects.filter(channel=channel).values_list("day", "member_id", "amount")
        ),
        "withdrawals": sorted(
            Withdrawal.objects.filter(member__channel=channel).values_list("amount", "status")
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_a_store_upgraded_with_order_events_waiting_keeps_its_books_and_applies_them(
    make_shop, make_user, clock
):
    shop = make_shop(withdrawals_enabled="true", min_withdrawal="1", points_min_redemption="10")
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    day = datetime.datetime(2025, 3, 10, 9, tzinfo=datetime.UTC)
    clock.set(day)
    first = shop.order(alice, "100")
    second = shop.order(bob, "300")
    shop.refund(services.StoreOrder.objects.get(pk=second.order_id), "30")
    clock.set(day + datetime.timedelta(days=1))
    [settled] = settle_due(shop.channel)
    assert settled.released > 0
    member = shop.member(alice)
    points.redeem(member, 50, key="upgrade-redeem")
    withdrawal = wallet.request_withdrawal(member, "5", "IBAN DE00 0000", key="upgrade-withdraw")
    wallet.decide_withdrawal(withdrawal.pk, approve=True, staff="owner")
    wallet.adjust(member, "points", "7", reason="goodwill", staff="owner", key="upgrade-adjust")
    # Carol's order is paid in the store; its event reaches the plugin before the upgrade and
    # waits there, in the previous version's shape.
    waiting = services.charge(
        services.place_order("web", "USD", carol, [(D("40"), "default")], notify=False),
        notify=False,
    )
    assert audit_channel(shop.channel) == []
    before = figures(shop.channel)
    newest = latest()

    migrate(SNAPSHOT_EVENTS)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO dividend_order_event (channel_id, order_id, snapshot, received_at,"
                " error) VALUES (%s, %s, %s, now(), '')",
                [shop.channel.pk, str(waiting.pk), json.dumps({"order_id": str(waiting.pk)})],
            )
    finally:
        migrate(newest)

    # Every balance, posting, record and key is as it was.
    assert figures(shop.channel) == before
    assert audit_channel(shop.channel) == []
    # The waiting event is applied by the next drain, from the order as the store has it.
    [event] = OrderEvent.objects.filter(channel=shop.channel)
    outcomes = {}
    lifecycle.drain(shop.channel.pk, outcomes=outcomes)
    assert outcomes == {event.pk: "recorded, confirmed"}
    assert shop.record(waiting).status == OrderStatus.CONFIRMED
    assert shop.record(waiting).amount == D("40.00")
    assert first.order_id in {r[0] for r in before["orders"]}
    assert audit_channel(shop.channel) == []
