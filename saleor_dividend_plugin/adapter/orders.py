"""A Saleor order as the core sees it (`host.OrderSnapshot`).

The amounts are Saleor's own: the subtotal is before gift cards, the total after them (Saleor
takes gift cards off the total), and `charged` counts money only. So with the default basis
(`subtotal_gross`) goods paid with a gift card earn like any others, and the `total_*` bases
reward only what was paid in money (shipping included).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db.models import Sum
from saleor.order import OrderChargeStatus, OrderOrigin
from saleor.order import OrderStatus as SaleorStatus
from saleor.order.models import Order, OrderLine
from saleor.payment import TransactionKind
from saleor.payment.models import Transaction, TransactionItem
from saleor.product.models import ProductType

from ..host import OrderLine as SnapshotLine
from ..host import OrderSnapshot, OrderStatus
from . import compat

STATUSES = {SaleorStatus.CANCELED: OrderStatus.CANCELLED, SaleorStatus.EXPIRED: OrderStatus.EXPIRED}
PAID = {OrderChargeStatus.FULL, OrderChargeStatus.OVERCHARGED}
ZERO = Decimal(0)


def _pks(order_ids) -> list[uuid.UUID]:
    """Saleor's order ids are UUIDs: an id that is not one names no order."""
    pks = []
    for order_id in order_ids:
        try:
            pks.append(uuid.UUID(str(order_id)))
        except ValueError:
            continue
    return pks


def order_channel(order_id: str) -> str | None:
    pks = _pks([order_id])
    if not pks:
        return None
    return Order.objects.filter(pk=pks[0]).values_list("channel__slug", flat=True).first()


def load_orders(order_ids) -> dict[str, OrderSnapshot]:
    """The orders with their refunds and lines: five queries for the whole batch (orders, legacy
    refunds, transaction refunds, lines, product types)."""
    pks = _pks(order_ids)
    if not pks:
        return {}
    orders = list(Order.objects.filter(pk__in=pks).select_related("channel"))
    refunds = _refunded(pks)
    lines = _lines(pks)
    return {
        str(order.pk): snapshot(order, refunds.get(order.pk, ZERO), lines.get(order.pk, ()))
        for order in orders
    }


def snapshot(order: Order, refunded: Decimal, lines: tuple[SnapshotLine, ...]) -> OrderSnapshot:
    return OrderSnapshot(
        order_id=str(order.pk),
        number=str(order.number),
        channel=order.channel.slug,
        currency=order.currency,
        user_id=order.user_id,
        from_checkout=order.origin == OrderOrigin.CHECKOUT,
        status=STATUSES.get(order.status, OrderStatus.OPEN),
        subtotal_gross=order.subtotal_gross_amount,
        subtotal_net=order.subtotal_net_amount,
        total_gross=order.total_gross_amount,
        total_net=order.total_net_amount,
        charged=order.total_charged_amount,
        refunded=refunded,
        created_at=order.created_at,
        lines=lines,
        # Saleor's own verdict: it compares what was charged with the total after gift cards and
        # granted refunds, so an order paid in full by gift card is paid too.
        paid=order.charge_status in PAID,
    )


def _refunded(pks) -> dict[uuid.UUID, Decimal]:
    """Money given back so far, by order: successful refunds of legacy payments plus what the
    orders' transactions report as refunded (the two ways Saleor refunds)."""
    totals: dict[uuid.UUID, Decimal] = {}
    legacy = (
        Transaction.objects.filter(
            payment__order_id__in=pks, kind=TransactionKind.REFUND, is_success=True
        )
        .order_by()
        .values_list("payment__order_id")
        .annotate(total=Sum("amount"))
    )
    transactions = (
        TransactionItem.objects.filter(order_id__in=pks)
        .order_by()
        .values_list("order_id")
        .annotate(total=Sum("refunded_value"))
    )
    for rows in (legacy, transactions):
        for order_pk, total in rows:
            totals[order_pk] = totals.get(order_pk, ZERO) + (total or ZERO)
    return totals


def _lines(pks) -> dict[uuid.UUID, tuple[SnapshotLine, ...]]:
    rows = list(
        OrderLine.objects.filter(order_id__in=pks)
        .annotate(type_id=compat.order_line_product_type_id())
        .values_list("order_id", "type_id", "total_price_gross_amount", "total_price_net_amount")
        .order_by("order_id", "pk")
    )
    slugs = dict(
        ProductType.objects.filter(pk__in={r[1] for r in rows if r[1]}).values_list("pk", "slug")
    )
    lines: dict[uuid.UUID, list[SnapshotLine]] = {}
    for order_pk, type_id, gross, net in rows:
        lines.setdefault(order_pk, []).append(SnapshotLine(slugs.get(type_id, ""), gross, net))
    return {order_pk: tuple(found) for order_pk, found in lines.items()}
