"""Store operations of the standalone host. Each one, like its Saleor counterpart, ends in the
plugin's order event, which syncs the order in a Celery task after commit."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from saleor_dividend_plugin.events import order_changed

from .models import StoreOrder, StoreOrderLine


def place_order(
    channel: str,
    currency: str,
    user,
    lines,
    shipping=Decimal(0),
    tax_rate=Decimal(0),
    from_checkout=True,
    number="",
    notify=True,
) -> StoreOrder:
    """`lines` is a list of (gross amount, product type) pairs; net = gross / (1 + tax_rate)."""
    with transaction.atomic():
        order = StoreOrder.objects.create(
            channel=channel,
            currency=currency,
            user=user,
            from_checkout=from_checkout,
            shipping_gross=Decimal(shipping),
            shipping_net=_net(shipping, tax_rate),
            number=number,
            # The store's clock, as the plugin reads it (the model's default is bound at import).
            created_at=timezone.now(),
        )
        StoreOrderLine.objects.bulk_create(
            StoreOrderLine(order=order, gross=Decimal(g), net=_net(g, tax_rate), product_type=t)
            for g, t in lines
        )
        if not number:
            order.number = str(StoreOrder.objects.count())
            order.save(update_fields=["number"])
        if notify:
            order_changed(order.pk, order.channel)
    return order


def place_paid_orders(channel: str, currency: str, orders, tax_rate=Decimal(0)) -> list[StoreOrder]:
    """Many checkout orders at once, each charged in full and numbered by the caller, in two
    INSERT statements and without order events: a set-up for runs that send the events
    themselves (the benchmarks), where placing and charging thousands of orders one by one would
    take longer than what is measured. `orders` is a list of (user, number, lines) with `lines`
    as for `place_order`; no shipping."""
    now = timezone.now()
    placed, lines = [], []
    for user, number, order_lines in orders:
        order = StoreOrder(
            channel=channel,
            currency=currency,
            user=user,
            number=str(number),
            created_at=now,
            charged=sum((Decimal(g) for g, _ in order_lines), Decimal(0)),
        )
        placed.append(order)
        lines.extend(
            StoreOrderLine(order=order, gross=Decimal(g), net=_net(g, tax_rate), product_type=t)
            for g, t in order_lines
        )
    with transaction.atomic():
        StoreOrder.objects.bulk_create(placed, batch_size=2000)
        StoreOrderLine.objects.bulk_create(lines, batch_size=2000)
    return placed


def _net(gross, tax_rate) -> Decimal:
    return (Decimal(gross) / (1 + Decimal(tax_rate))).quantize(Decimal("0.001"))


def total(order: StoreOrder) -> Decimal:
    return sum((line.gross for line in order.lines.all()), Decimal(0)) + order.shipping_gross


def charge(order: StoreOrder, amount=None, notify=True) -> StoreOrder:
    amount = total(order) - order.charged if amount is None else Decimal(amount)
    with transaction.atomic():
        StoreOrder.objects.filter(pk=order.pk).update(charged=F("charged") + amount)
        if notify:
            order_changed(order.pk, order.channel)
    order.refresh_from_db()
    return order


def refund(order: StoreOrder, amount, notify=True) -> StoreOrder:
    with transaction.atomic():
        StoreOrder.objects.filter(pk=order.pk).update(refunded=F("refunded") + Decimal(amount))
        if notify:
            order_changed(order.pk, order.channel)
    order.refresh_from_db()
    return order


def cancel(order: StoreOrder, status="cancelled", notify=True) -> StoreOrder:
    with transaction.atomic():
        StoreOrder.objects.filter(pk=order.pk).update(status=status)
        if notify:
            order_changed(order.pk, order.channel)
    order.refresh_from_db()
    return order
