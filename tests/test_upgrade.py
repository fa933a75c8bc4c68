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
from saleor_dividend_plugin.ledger import Accounts, transfers_from_legs
from saleor_dividend_plugin.models import (
    Account,
    AccountKind,
    DrainCall,
    Entry,
    LedgerTransaction,
    OrderEvent,
    OrderRecord,
    OrderStatus,
    Release,
    Transfer,
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


DAY = datetime.datetime(2025, 3, 10, 9, tzinfo=datetime.UTC)


def a_store_with_history(make_shop, make_user, clock):
    """A store that has run for a while: orders, a refund, a settled day with its release, a
    redemption, a withdrawal approved and a staff correction."""
    shop = make_shop(withdrawals_enabled="true", min_withdrawal="1", points_min_redemption="10")
    alice, bob = make_user("alice"), make_user("bob")
    clock.set(DAY)
    first = shop.order(alice, "100")
    second = shop.order(bob, "300")
    shop.refund(services.StoreOrder.objects.get(pk=second.order_id), "30")
    clock.set(DAY + datetime.timedelta(days=1))
    [settled] = settle_due(shop.channel)
    assert settled.released > 0
    member = shop.member(alice)
    points.redeem(member, 50, key="upgrade-redeem")
    withdrawal = wallet.request_withdrawal(member, "5", "IBAN DE00 0000", key="upgrade-withdraw")
    wallet.decide_withdrawal(withdrawal.pk, approve=True, staff="owner")
    wallet.adjust(member, "points", "7", reason="goodwill", staff="owner", key="upgrade-adjust")
    return shop, alice, bob, first


@pytest.mark.django_db(transaction=True)
def test_a_store_upgraded_with_order_events_waiting_keeps_its_books_and_applies_them(
    make_shop, make_user, clock
):
    shop, alice, bob, first = a_store_with_history(make_shop, make_user, clock)
    carol = make_user("carol")
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
    # The channel has its drain-call row, with no call outstanding.
    assert list(DrainCall.objects.values_list("channel", "called_at")) == [(shop.channel.pk, None)]
    # The waiting event is applied by the next drain, from the order as the store has it.
    [event] = OrderEvent.objects.filter(channel=shop.channel)
    outcomes = {}
    lifecycle.drain(shop.channel.pk, outcomes=outcomes)
    assert outcomes == {event.pk: "recorded, confirmed"}
    assert shop.record(waiting).status == OrderStatus.CONFIRMED
    assert shop.record(waiting).amount == D("40.00")
    assert first.order_id in {r[0] for r in before["orders"]}
    assert audit_channel(shop.channel) == []


@pytest.mark.django_db(transaction=True)
def test_going_back_to_snapshot_events_with_events_waiting_is_refused(make_shop, make_user):
    shop = make_shop()
    order = services.charge(
        services.place_order("web", "USD", make_user(), [(D("40"), "default")], notify=False),
        notify=False,
    )
    OrderEvent.objects.create(channel=shop.channel, order_id=str(order.pk))
    newest = latest()
    try:
        with pytest.raises(RuntimeError, match=r"1 order event\(s\) are waiting to be applied"):
            migrate(SNAPSHOT_EVENTS)
        # Refused before the snapshot column came back: the event is there as it was queued.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM information_schema.columns"
                " WHERE table_name = 'dividend_order_event' AND column_name = 'snapshot'"
            )
            assert cursor.fetchone()[0] == 0
    finally:
        migrate(newest)
    assert list(OrderEvent.objects.values_list("order_id", flat=True)) == [str(order.pk)]


# The version that kept one ledger row per leg.
LEG_ROWS = "0007_order_events_name_the_order"


def lines(channel) -> dict:
    """Each posting's lines netted per account: what it did to each balance."""
    netted: dict = {}
    for txn, account, amount in Entry.objects.filter(transaction__channel=channel).values_list(
        "transaction__key", "account_id", "amount"
    ):
        netted[(txn, account)] = netted.get((txn, account), 0) + amount
    return {key: amount for key, amount in netted.items() if amount}


def old_posting(channel, key, legs):
    """A posting as the version with one ledger row per leg wrote it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dividend_transaction (channel_id, key, kind, day, memo, created_at)"
            " VALUES (%s, %s, 'test_grant', %s, '', now()) RETURNING id",
            [channel.pk, key, DAY.date()],
        )
        txn = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO dividend_entry (transaction_id, account_id, unit, amount)"
            " SELECT %s, * FROM unnest(%s::bigint[], %s::varchar[], %s::numeric[])",
            [txn, *(list(column) for column in zip(*legs, strict=True))],
        )


@pytest.mark.django_db(transaction=True)
def test_a_store_upgraded_to_one_row_per_transfer_keeps_every_balance_and_posting(
    make_shop, make_user, clock
):
    shop, alice, bob, _ = a_store_with_history(make_shop, make_user, clock)
    member = shop.member(alice)
    newest = latest()
    accounts = Accounts(shop.channel)
    platform = accounts.system(AccountKind.PLATFORM)
    pool = accounts.system(AccountKind.RELEASE_POOL)
    issued = accounts.system(AccountKind.ENERGY_ISSUED)
    alice_wallet = accounts.member(member, AccountKind.WALLET)
    alice_energy = accounts.member(member, AccountKind.ENERGY)

    side = make_shop(slug="side")
    side_accounts = Accounts(side.channel)

    migrate(LEG_ROWS)
    try:
        # A posting as the previous version wrote it: its legs merged per account, one debit
        # leg paying two credits in one unit and one leg each in another unit.
        legs = [
            (platform.pk, "USD", D("-7.50")),
            (pool.pk, "USD", D("5.25")),
            (alice_wallet.pk, "USD", D("2.25")),
            (issued.pk, "ENERGY", D("-3")),
            (alice_energy.pk, "ENERGY", D("3")),
        ]
        old_posting(shop.channel, "old-shape", legs)
        # And one of two debits and two credits that do not pair one to one (in a channel of
        # its own: it stands for no rule the audit knows).
        tangled = [
            (side_accounts.system(AccountKind.PLATFORM).pk, "USD", D("-5")),
            (side_accounts.system(AccountKind.WRITE_OFF).pk, "USD", D("-5")),
            (side_accounts.system(AccountKind.DIVIDEND_POOL).pk, "USD", D("7")),
            (side_accounts.system(AccountKind.RELEASE_POOL).pk, "USD", D("3")),
        ]
        old_posting(side.channel, "old-shape-tangled", tangled)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM dividend_entry")
            leg_rows = cursor.fetchone()[0]
        before = figures(shop.channel)
        before_lines = lines(shop.channel)
    finally:
        migrate(newest)

    # Every balance with its totals, and what every posting did to each balance, are as they
    # were; the audit holds.
    after = figures(shop.channel)
    assert after["accounts"] == before["accounts"]
    assert {k: v for k, v in after.items() if k != "postings"} == {
        k: v for k, v in before.items() if k != "postings"
    }
    assert lines(shop.channel) == before_lines
    assert audit_channel(shop.channel) == []
    # One row per movement: the old posting's legs became three transfers, as `post` splits legs.
    moved = list(
        Transfer.objects.filter(transaction__key="old-shape")
        .order_by("pk")
        .values_list("debit_account_id", "credit_account_id", "unit", "amount")
    )
    assert (
        moved
        == transfers_from_legs(legs)
        == [
            (platform.pk, pool.pk, "USD", D("5.25")),
            (platform.pk, alice_wallet.pk, "USD", D("2.25")),
            (issued.pk, alice_energy.pk, "ENERGY", D("3")),
        ]
    )
    assert list(
        Transfer.objects.filter(transaction__key="old-shape-tangled")
        .order_by("pk")
        .values_list("debit_account_id", "credit_account_id", "unit", "amount")
    ) == transfers_from_legs(tangled)
    assert [t[3] for t in transfers_from_legs(tangled)] == [5, 2, 3]
    assert Transfer.objects.count() < leg_rows
    # The store goes on from there.
    shop.order(bob, "20")
    assert audit_channel(shop.channel) == []
