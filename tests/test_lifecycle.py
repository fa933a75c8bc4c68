"""The order lifecycle with exact amounts (default configuration unless stated)."""

import logging
from decimal import Decimal as D

from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.models import (
    AccountKind,
    LedgerTransaction,
    OrderRecord,
    OrderStatus,
    PointLot,
    QueueEntry,
)
from saleor_dividend_plugin.tasks import catch_up_now
from standalone_host.store import services

from .conftest import Shop


def test_checkout_order_is_pending_until_fully_paid(shop, make_user):
    user = make_user()
    order = shop.place(user, "80.00", "20.00", shipping="9.99")
    record = shop.record(order)
    assert record.status == OrderStatus.PENDING
    # subtotal gross, shipping excluded; expected rewards recorded, nothing spendable
    assert (record.amount, record.points, record.energy) == (D("100.00"), D(100), D("300.00"))
    assert shop.balance(user, AccountKind.POINTS) == 0
    shop.pay(order, "50")
    assert shop.record(order).status == OrderStatus.PENDING
    shop.pay(order)
    record = shop.record(order)
    assert record.status == OrderStatus.CONFIRMED
    assert shop.balance(user, AccountKind.POINTS) == D(100)
    assert shop.balance(user, AccountKind.ENERGY) == D("300.00")
    assert shop.balance(user, AccountKind.CONTRIBUTION) == D("100.00")
    # dividend 20%, release 10%, backing 5%; no referrer so no referral share
    assert shop.balance(None, AccountKind.DIVIDEND_POOL) == D("20.00")
    assert shop.balance(None, AccountKind.RELEASE_POOL) == D("10.00")
    assert shop.balance(None, AccountKind.POINTS_BACKING) == D("5.00")
    assert shop.balance(None, AccountKind.PLATFORM) == D("-35.00")
    assert audit_channel(shop.channel) == []


def test_cancelled_or_expired_before_payment_is_void(shop, make_user):
    for status in ("cancelled", "expired"):
        order = shop.place(make_user(), "40")
        shop.cancel(order, status)
        assert shop.record(order).status == OrderStatus.VOID
    assert shop.balance(None, AccountKind.PLATFORM) == 0


def test_a_void_order_never_confirms_when_a_charge_is_reported_later(shop, make_user, caplog):
    for status in ("cancelled", "expired"):
        user = make_user()
        order = shop.place(user, "40.00")
        shop.cancel(order, status)
        with caplog.at_level(logging.WARNING, logger="saleor_dividend_plugin.lifecycle"):
            outcome = shop.pay(order)  # charged in full after the cancellation or expiry
        assert outcome == "void: a later charge confirms nothing"
        assert f"order {order.number} ({order.pk}) is void" in caplog.text
        record = shop.record(order)
        assert (record.status, record.confirmed_at) == (OrderStatus.VOID, None)
        assert (shop.balance(user, AccountKind.POINTS), shop.balance(user, AccountKind.ENERGY)) == (
            0,
            0,
        )
        assert not QueueEntry.objects.filter(order=record).exists()
        assert shop.deliver(order) == "void: a later charge confirms nothing"  # replayed
    assert LedgerTransaction.objects.filter(channel=shop.channel).count() == 0
    assert shop.balance(None, AccountKind.PLATFORM) == D("0.00")
    assert shop.balance(None, AccountKind.DIVIDEND_POOL) == D("0.00")
    assert audit_channel(shop.channel) == []


def test_cancel_after_payment_keeps_the_confirmation(shop, make_user):
    order = shop.place(make_user(), "40")
    shop.pay(order)
    shop.cancel(order)
    assert shop.record(order).status == OrderStatus.CONFIRMED


def test_guest_order_earns_nothing_but_funds_the_pools(shop):
    order = shop.place(None, "50")
    shop.pay(order)
    record = shop.record(order)
    assert record.status == OrderStatus.CONFIRMED and record.member is None
    assert (record.points, record.energy) == (0, 0)
    assert shop.balance(None, AccountKind.DIVIDEND_POOL) == D("10.00")
    assert shop.balance(None, AccountKind.POINTS_ISSUED) == 0
    assert audit_channel(shop.channel) == []


def test_orders_not_from_checkout_are_ignored(shop, make_user):
    order = shop.place(make_user(), "50", from_checkout=False)
    shop.pay(order)
    assert not OrderRecord.objects.filter(order_id=str(order.pk)).exists()


def test_two_partial_refunds_then_full_refund(make_shop, make_user):
    shop = make_shop(queue_max_amount=1000, dividend_ratio="0.2")
    alice, bob = make_user("alice"), make_user("bob")
    a = shop.place(alice, "100")
    shop.pay(a)
    # Alice's own 20 waited in the pool (nobody was queued ahead of her); Bob's 20 joins it and
    # both pay Alice's entry (target 100).
    shop.order(bob, "100")
    assert shop.wallet(alice) == D("40.00")
    entry = shop.record(a).queue_entry

    shop.refund(a, "30")  # 30% refunded: 70% remains
    entry.refresh_from_db()
    assert (entry.target, entry.received) == (D("70.00"), D("40.00"))
    assert shop.balance(alice, AccountKind.POINTS) == D(70)
    assert shop.balance(alice, AccountKind.ENERGY) == D("210.00")
    assert shop.balance(alice, AccountKind.CONTRIBUTION) == D("70.00")

    shop.refund(a, "55")  # 85 refunded in all: 15% remains, target 15 < received 40
    entry.refresh_from_db()
    assert (entry.target, entry.received, entry.status) == (D("15.00"), D("15.00"), "freed")
    assert shop.wallet(alice) == D("15.00")  # 25 clawed back to the pool
    assert shop.balance(alice, AccountKind.POINTS) == D(15)
    assert shop.balance(None, AccountKind.DIVIDEND_POOL) == D("25.00")

    shop.refund(a, "15")  # fully refunded
    entry.refresh_from_db()
    assert (entry.target, entry.received, entry.status) == (D("0.00"), D("0.00"), "cancelled")
    assert shop.wallet(alice) == 0
    assert shop.balance(None, AccountKind.DIVIDEND_POOL) == D("40.00")
    assert shop.balance(alice, AccountKind.POINTS) == 0
    assert shop.balance(alice, AccountKind.ENERGY) == 0
    assert shop.balance(alice, AccountKind.CONTRIBUTION) == 0
    assert shop.record(a).refunded == D("100.00")
    assert PointLot.objects.get(order=shop.record(a)).remaining == 0
    assert audit_channel(shop.channel) == []


def test_clawback_the_wallet_cannot_cover_is_written_off(shop, make_user):
    alice, bob = make_user(), make_user()
    a = shop.place(alice, "100")
    shop.pay(a)
    shop.order(bob, "100")
    assert shop.wallet(alice) == D("40.00")
    # Alice spends 38 of her wallet (e.g. on a gift card): moved to the gift-card sink.
    from saleor_dividend_plugin.ledger import Accounts, post

    accounts = Accounts(shop.channel)
    post(
        shop.channel,
        "spend",
        "gift_card",
        [
            (accounts.member(shop.member(alice), AccountKind.WALLET), D("-38")),
            (accounts.system(AccountKind.GIFT_CARDS), D("38")),
        ],
        day=shop.record(a).confirmed_day,
    )
    shop.refund(a, "100")
    assert shop.wallet(alice) == 0
    assert shop.balance(None, AccountKind.WRITE_OFF) == D("-38.00")  # 40 due, 2 left
    assert audit_channel(shop.channel) == []


def test_refund_beyond_the_qualifying_amount_is_capped(shop, make_user):
    user = make_user()
    order = shop.place(user, "100", shipping="10")
    shop.pay(order)
    shop.refund(order, "110")
    assert shop.record(order).refunded == D("100.00")
    assert shop.balance(user, AccountKind.POINTS) == 0
    assert audit_channel(shop.channel) == []


def test_replayed_events_change_nothing(shop, make_user):
    user = make_user()
    order = shop.place(user, "64.50")
    shop.pay(order)
    shop.refund(order, "10")
    before = _ledger(shop)
    for _ in range(3):
        shop.deliver(order)
    assert _ledger(shop) == before


def _ledger(shop):
    from saleor_dividend_plugin.models import Account

    return (
        sorted(
            Account.objects.filter(channel=shop.channel).values_list("kind", "member_id", "balance")
        ),
        LedgerTransaction.objects.filter(channel=shop.channel).count(),
    )


def test_refunds_and_cancellations_still_apply_while_the_channel_is_inactive(
    make_channel, make_user
):
    shop = Shop(make_channel(queue_max_amount=1000))
    alice, bob, carol, dave = (make_user(n) for n in ("alice", "bob", "carol", "dave"))
    a = shop.place(alice, "100.00")
    shop.pay(a)
    shop.order(bob, "100.00")  # 20.00 + 20.00 to Alice's entry
    unpaid = shop.place(carol, "50.00")
    assert shop.wallet(alice) == D("40.00")

    make_channel(queue_max_amount=1000, active=False)  # the owner pauses the program

    assert shop.refund(a, "100.00") == "refunded"
    assert shop.record(a).refunded == D("100.00")
    assert [shop.balance(alice, k) for k in (AccountKind.POINTS, AccountKind.WALLET)] == [0, 0]
    assert shop.record(a).queue_entry.status == "cancelled"
    # What Alice's wallet gave back waits in the pool for the next funding.
    assert shop.balance(None, AccountKind.DIVIDEND_POOL) == D("40.00")
    assert shop.cancel(unpaid) == "voided"
    assert shop.record(unpaid).status == OrderStatus.VOID
    # New orders earn nothing while paused: not even recorded.
    new = shop.place(dave, "80.00")
    assert shop.pay(new) == "channel not enabled"
    assert not OrderRecord.objects.filter(order_id=str(new.pk)).exists()
    assert audit_channel(shop.channel) == []


def test_an_order_paid_while_the_channel_is_inactive_is_confirmed_once_it_is_on_again(
    make_channel, make_user
):
    shop = Shop(make_channel())
    user = make_user()
    order = shop.place(user, "60.00")  # recorded before the pause, paid during it
    make_channel(active=False)
    assert shop.pay(order) == "channel not enabled: nothing to apply"
    assert shop.record(order).status == OrderStatus.PENDING
    assert shop.balance(user, AccountKind.POINTS) == 0

    make_channel(active=True)
    assert catch_up_now("web") == "1 recorded orders checked, 1 changed"
    assert shop.record(order).status == OrderStatus.CONFIRMED
    assert shop.balance(user, AccountKind.POINTS) == D(60)
    assert audit_channel(shop.channel) == []


def test_switching_a_channel_on_again_catches_up_on_every_recorded_order(make_channel, make_user):
    """Saleor calls no hook of an inactive plugin: the refunds made meanwhile reach the rewards
    through the catch-up scheduled when the channel is switched on again."""
    shop = Shop(make_channel())
    users = [make_user() for _ in range(4)]
    refunded, kept, cancelled = shop.place(users[0], "100.00"), shop.place(users[1], "30.00"), None
    shop.pay(refunded)
    shop.pay(kept)
    cancelled = shop.place(users[2], "25.00")
    make_channel(active=False)
    # The host changes the orders without telling the plugin.
    services.refund(refunded, D("40.00"), notify=False)
    services.cancel(cancelled, notify=False)
    unknown = services.place_order("web", "USD", users[3], [(D("10.00"), "default")], notify=False)
    services.charge(unknown, notify=False)

    make_channel(active=True)
    assert catch_up_now("web") == "3 recorded orders checked, 2 changed"

    assert shop.record(refunded).refunded == D("40.00")
    assert shop.balance(users[0], AccountKind.POINTS) == D(60)
    assert shop.record(kept).refunded == 0
    assert shop.record(cancelled).status == OrderStatus.VOID
    assert not OrderRecord.objects.filter(order_id=str(unknown.pk)).exists()
    assert catch_up_now("web") == "2 recorded orders checked, 0 changed"
    assert audit_channel(shop.channel) == []
