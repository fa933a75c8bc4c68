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


def load_order(order_id: str) -> OrderSnapshot | None:
    try:
        pk = uuid.UUID(str(order_id))
    except ValueError:
        return None
    order = Order.objects.filter(pk=pk).select_related("channel").first()
    return snapshot(order) if order else None


def snapshot(order: Order) -> OrderSnapshot:
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
        refunded=refunded(order),
        created_at=order.created_at,
        lines=lines(order),
        # Saleor's own verdict: it compares what was charged with the total after gift cards and
        # granted refunds, so an order paid in full by gift card is paid too.
        paid=order.charge_status in PAID,
    )


def refunded(order: Order) -> Decimal:
    """Money given back so far: successful refunds of legacy payments plus what the order's
    transactions report as refunded (the two ways Saleor refunds)."""
    legacy = Transaction.objects.filter(
        payment__order_id=order.pk, kind=TransactionKind.REFUND, is_success=True
    ).aggregate(total=Sum("amount"))["total"]
    transactions = TransactionItem.objects.filter(order_id=order.pk).aggregate(
        total=Sum("refunded_value")
    )["total"]
    return (legacy or ZERO) + (transactions or ZERO)


def lines(order: Order) -> tuple[SnapshotLine, ...]:
    rows = list(
        OrderLine.objects.filter(order_id=order.pk)
        .annotate(type_id=compat.order_line_product_type_id())
        .values_list("type_id", "total_price_gross_amount", "total_price_net_amount")
        .order_by("pk")
    )
    slugs = dict(
        ProductType.objects.filter(pk__in={r[0] for r in rows if r[0]}).values_list("pk", "slug")
    )
    return tuple(SnapshotLine(slugs.get(type_id, ""), gross, net) for type_id, gross, net in rows)
