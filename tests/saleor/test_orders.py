"""Orders placed, paid and refunded through Saleor's own API move the rewards.

The storefront buys the `product` fixture (10.00 USD a unit, prices include tax) with 10.00 USD
shipping; the `rewards_channel` pays 20% of every order into the dividend pool and gives queued
orders their whole amount back.
"""

import logging
from decimal import Decimal as D

import graphene
from saleor.graphql.tests.fixtures import ApiClient
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order import OrderOrigin
from saleor.plugins.manager import get_plugins_manager

from saleor_dividend_plugin import events, tasks
from saleor_dividend_plugin.adapter import PLUGIN_ID
from saleor_dividend_plugin.adapter.gift_cards import issue_gift_card
from saleor_dividend_plugin.ledger import Accounts
from saleor_dividend_plugin.models import (
    AccountKind,
    Member,
    OrderEvent,
    OrderRecord,
    OrderStatus,
    QueueEntry,
    QueueStatus,
)

from .storefront import mutation_data, record_of

ORDER_REFUND = """
mutation($id: ID!, $amount: PositiveDecimal!) {
  orderRefund(id: $id, amount: $amount) { errors { field code message } }
}"""
ORDER_CANCEL = """
mutation($id: ID!) { orderCancel(id: $id) { errors { field code message } } }
"""
TRANSACTION_CREATE = """
mutation($id: ID!, $transaction: TransactionCreateInput!) {
  transactionCreate(id: $id, transaction: $transaction) {
    transaction { id }
    errors { field code message }
  }
}"""
TRANSACTION_UPDATE = """
mutation($id: ID!, $transaction: TransactionUpdateInput!) {
  transactionUpdate(id: $id, transaction: $transaction) { errors { field code message } }
}"""
HOOKS = (
    "order_created",
    "order_paid",
    "order_fully_paid",
    "order_refunded",
    "order_fully_refunded",
    "order_cancelled",
    "order_expired",
)


def balance(channel, user, kind) -> D:
    member = Member.objects.get(channel=channel, user=user)
    return Accounts(channel).member(member, kind).balance


def pool(channel) -> D:
    return Accounts(channel).system(AccountKind.DIVIDEND_POOL).balance


def test_a_paid_checkout_is_confirmed_with_its_rewards(
    storefront, rewards_channel, customer_user, caplog
):
    with caplog.at_level(logging.WARNING, logger="saleor_dividend_plugin"):
        order = storefront.buy(customer_user, quantity=3)

    # The events queued themselves from inside Saleor's request (its test settings refuse
    # unmarked use of the writer database there), with no fallback taken.
    assert [r.getMessage() for r in caplog.records if r.name.startswith("saleor_dividend")] == []

    assert order.origin == OrderOrigin.CHECKOUT
    assert order.charge_status == "full"
    assert order.subtotal_gross_amount == D("30.00")
    assert order.total_gross_amount == D("40.00")
    record = record_of(order)
    assert record.status == OrderStatus.CONFIRMED
    assert record.number == str(order.number)
    # The qualifying amount is the products' gross subtotal: shipping earns nothing.
    assert record.amount == D("30.00")
    assert record.points == D("30")
    assert record.energy == D("90.00")
    assert balance(rewards_channel, customer_user, AccountKind.POINTS) == D("30")
    assert balance(rewards_channel, customer_user, AccountKind.CONTRIBUTION) == D("30.00")
    assert pool(rewards_channel) == D("6.00")
    entry = QueueEntry.objects.get(order=record)
    assert (entry.status, entry.target, entry.received) == (QueueStatus.WAITING, D("30.00"), 0)


def test_later_orders_pay_the_queue_and_a_refund_shrinks_an_entry(
    storefront,
    rewards_channel,
    customer_user,
    customer_user2,
    staff_api_client,
    permission_group_manage_orders,
):
    first = storefront.buy(customer_user, quantity=3)
    second = storefront.buy(customer_user2, quantity=5)

    # 6.00 from the first order and 10.00 from the second went to the head of the queue.
    head = QueueEntry.objects.get(order=record_of(first))
    assert (head.status, head.received) == (QueueStatus.WAITING, D("16.00"))
    assert balance(rewards_channel, customer_user, AccountKind.WALLET) == D("16.00")
    assert pool(rewards_channel) == 0
    assert QueueEntry.objects.get(order=record_of(second)).target == D("50.00")

    # Staff refund 20.00 of the second order's 60.00 through Saleor.
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    response = staff_api_client.post_graphql(
        ORDER_REFUND, {"id": graphene.Node.to_global_id("Order", second.pk), "amount": "20.00"}
    )
    assert get_graphql_content(response)["data"]["orderRefund"]["errors"] == []

    record = record_of(second)
    assert record.refunded == D("20.00")
    # Its entry now waits for 30/50 of the order, and 20/50 of its points are taken back.
    entry = QueueEntry.objects.get(order=record)
    assert (entry.status, entry.target, entry.received) == (QueueStatus.WAITING, D("30.00"), 0)
    assert balance(rewards_channel, customer_user2, AccountKind.POINTS) == D("30")
    assert balance(rewards_channel, customer_user2, AccountKind.CONTRIBUTION) == D("30.00")


def test_a_payment_app_charges_and_refunds_through_transactions(
    storefront, customer_user, app_api_client, permission_manage_payments
):
    # Saleor's Transactions API: the payment app reports what it charged, then what it refunded.
    app_api_client.app.permissions.add(permission_manage_payments)
    customer = ApiClient(user=customer_user)
    checkout_id = storefront.start_checkout(customer, quantity=4)
    charged = {"amountCharged": {"amount": "50.00", "currency": "USD"}}
    data = mutation_data(
        app_api_client.post_graphql(
            TRANSACTION_CREATE,
            {
                "id": checkout_id,
                "transaction": {"name": "Card", "pspReference": "psp-1", **charged},
            },
        ),
        "transactionCreate",
    )

    order = storefront.complete(customer, checkout_id)

    record = record_of(order)
    assert (record.status, record.amount, record.points) == (OrderStatus.CONFIRMED, D("40.00"), 40)
    mutation_data(
        app_api_client.post_graphql(
            TRANSACTION_UPDATE,
            {
                "id": data["transaction"]["id"],
                "transaction": {
                    "amountCharged": {"amount": "30.00", "currency": "USD"},
                    "amountRefunded": {"amount": "20.00", "currency": "USD"},
                },
            },
        ),
        "transactionUpdate",
    )
    record.refresh_from_db()
    assert record.refunded == D("20.00")
    assert QueueEntry.objects.get(order=record).target == D("20.00")


def test_an_unpaid_order_waits_and_is_voided_when_cancelled(
    storefront,
    rewards_channel,
    customer_user,
    channel_USD,
    staff_api_client,
    permission_group_manage_orders,
):
    channel_USD.allow_unpaid_orders = True
    channel_USD.save(update_fields=["allow_unpaid_orders"])
    customer = ApiClient(user=customer_user)

    order = storefront.complete(customer, storefront.start_checkout(customer, quantity=2))

    record = record_of(order)
    assert (record.status, record.amount, record.points) == (OrderStatus.PENDING, D("20.00"), 20)
    assert not QueueEntry.objects.exists()
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    order_id = graphene.Node.to_global_id("Order", order.pk)
    mutation_data(staff_api_client.post_graphql(ORDER_CANCEL, {"id": order_id}), "orderCancel")
    record.refresh_from_db()
    assert record.status == OrderStatus.VOID
    assert pool(rewards_channel) == 0


def test_an_order_paid_entirely_by_gift_card_is_confirmed(
    storefront, rewards_channel, customer_user
):
    # Saleor takes gift cards off the order's total: this order's total is 0 and nothing is
    # charged, yet Saleor counts it as paid, and so does the plugin.
    card = issue_gift_card(
        user_id=customer_user.pk, channel="main", currency="USD", amount=D("50.00"), note=""
    )
    client = ApiClient(user=customer_user)
    checkout_id = storefront.start_checkout(client, quantity=2)
    assert storefront.add_promo_code(client, checkout_id, card.code)["errors"] == []
    order = storefront.pay_and_complete(client, checkout_id)

    assert order.total_gross_amount == 0
    assert order.total_charged_amount == 0
    assert order.charge_status == "full"
    record = record_of(order)
    assert record.status == OrderStatus.CONFIRMED
    assert record.amount == D("20.00")


def test_gift_package_lines_are_told_apart_by_their_product_type(
    storefront, configure_plugin, channel_USD, product, customer_user
):
    rewards = configure_plugin(channel_USD, gift_package_product_types=product.product_type.slug)

    order = storefront.buy(customer_user, quantity=3)

    record = record_of(order)
    assert (record.amount, record.gift_amount) == (D("30.00"), D("30.00"))
    # Gift packages earn 5x energy instead of 3x, and the gift package tier.
    assert record.energy == D("150.00")
    assert Member.objects.get(channel=rewards, user=customer_user).tier_code == "gold"


def test_an_inactive_channel_earns_nothing(configure_plugin, storefront, customer_user):
    configure_plugin(storefront.channel, active=False)

    storefront.buy(customer_user, quantity=1)

    assert not OrderRecord.objects.exists()


def test_a_refund_made_while_the_plugin_is_off_is_applied_when_it_is_on_again(
    configure_plugin,
    rewards_channel,
    storefront,
    customer_user,
    staff_api_client,
    permission_group_manage_orders,
    django_capture_on_commit_callbacks,
):
    order = storefront.buy(customer_user, quantity=3)  # 30.00 of products: 30 points
    configure_plugin(storefront.channel, active=False, dividend_ratio="0.2", free_ratio="1")
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    response = staff_api_client.post_graphql(
        ORDER_REFUND, {"id": graphene.Node.to_global_id("Order", order.pk), "amount": "10.00"}
    )
    assert get_graphql_content(response)["data"]["orderRefund"]["errors"] == []
    # Saleor calls no hook of a plugin that is inactive in the channel: nothing applied yet.
    assert record_of(order).refunded == 0

    # Switched on again in the Dashboard: the catch-up task runs once the save has committed.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        configure_plugin(storefront.channel, active=True, dividend_ratio="0.2", free_ratio="1")

    assert len(callbacks) == 1
    assert record_of(order).refunded == D("10.00")
    assert balance(rewards_channel, customer_user, AccountKind.POINTS) == D("20")


def test_a_failing_hook_never_breaks_checkout(storefront, customer_user, monkeypatch, caplog):
    def broken(*args):
        raise RuntimeError("the rewards are down")

    monkeypatch.setattr(events, "order_changed", broken)

    with caplog.at_level(logging.ERROR, logger="saleor_dividend_plugin.plugin"):
        order = storefront.buy(customer_user, quantity=1)

    assert order.charge_status == "full"
    assert not OrderRecord.objects.exists()
    assert "could not schedule the rewards sync" in caplog.text


def test_only_checkout_orders_are_synced_on_creation(
    rewards_channel, order_with_lines, django_capture_on_commit_callbacks
):
    plugin = get_plugins_manager(allow_replica=False).get_plugin(PLUGIN_ID, "main")
    order = order_with_lines

    order.origin = OrderOrigin.DRAFT
    with django_capture_on_commit_callbacks() as draft_callbacks:
        plugin.order_created(order, previous_value=None)
    order.origin = OrderOrigin.CHECKOUT
    with django_capture_on_commit_callbacks() as checkout_callbacks:
        plugin.order_created(order, previous_value=None)

    assert (len(draft_callbacks), len(checkout_callbacks)) == (0, 1)


def test_order_hooks_stay_cheap(rewards_channel, order_with_lines, django_assert_max_num_queries):
    plugin = get_plugins_manager(allow_replica=False).get_plugin(PLUGIN_ID, "main")
    order = order_with_lines
    order.origin = OrderOrigin.CHECKOUT

    for hook in HOOKS:
        # At most two fast queries each (they make none): the work runs in a task after commit.
        with django_assert_max_num_queries(2):
            assert getattr(plugin, hook)(order, previous_value="unchanged", webhooks=None) == (
                "unchanged"
            )


def test_an_order_event_queues_itself_under_the_hooks_channel_and_calls_the_drain_once(
    rewards_channel, order_with_lines, monkeypatch, django_capture_on_commit_callbacks,
    django_assert_num_queries,
):  # fmt: skip
    plugin = get_plugins_manager(allow_replica=False).get_plugin(PLUGIN_ID, "main")
    order = order_with_lines
    called = []
    monkeypatch.setattr(tasks.drain_channel_task, "delay", called.append)
    with django_capture_on_commit_callbacks() as deferred:
        plugin.order_fully_paid(order, previous_value=None)
        plugin.order_paid(order, previous_value=None)

    # Saleor gave the hook the order's channel: after the commit each event is one statement
    # (no reading of the order), and only the first calls the drain.
    for callback in deferred:
        with django_assert_num_queries(1):
            callback()
    assert called == [rewards_channel.pk]
    assert (
        list(OrderEvent.objects.values_list("channel_id", "order_id"))
        == [(rewards_channel.pk, str(order.pk))] * 2
    )
