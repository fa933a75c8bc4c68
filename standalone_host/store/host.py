"""The standalone host's side of `saleor_dividend_plugin.host.Host`."""

import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model

from saleor_dividend_plugin.host import (
    GiftCardsUnavailable,
    OrderLine,
    OrderSnapshot,
)

from .models import StoreOrder

PERMISSIONS = {"MANAGE_ORDERS", "MANAGE_GIFT_CARD"}


class ExpiredSignatureError(Exception):
    """Named like PyJWT's, which Saleor's token check raises for a token that has only expired:
    the endpoint then answers both hosts' expired tokens alike, and a storefront refreshes."""


def snapshot(order: StoreOrder) -> OrderSnapshot:
    lines = tuple(
        OrderLine(product_type=line.product_type, gross=line.gross, net=line.net)
        for line in order.lines.all()
    )
    subtotal_gross = sum((line.gross for line in lines), Decimal(0))
    subtotal_net = sum((line.net for line in lines), Decimal(0))
    return OrderSnapshot(
        order_id=str(order.pk),
        number=order.number,
        channel=order.channel,
        currency=order.currency,
        user_id=order.user_id,
        from_checkout=order.from_checkout,
        status=order.status,
        subtotal_gross=subtotal_gross,
        subtotal_net=subtotal_net,
        total_gross=subtotal_gross + order.shipping_gross,
        total_net=subtotal_net + order.shipping_net,
        charged=order.charged,
        refunded=order.refunded,
        created_at=order.created_at,
        lines=lines,
    )


def _pk(order_id: str):
    """The store's order ids are UUIDs; anything else names no order (and no query fails on it)."""
    try:
        return uuid.UUID(str(order_id))
    except ValueError:
        return None


class StandaloneHost:
    def order_channel(self, order_id: str):
        return StoreOrder.objects.filter(pk=_pk(order_id)).values_list("channel", flat=True).first()

    def load_orders(self, order_ids):
        orders = StoreOrder.objects.filter(pk__in=[_pk(i) for i in order_ids]).prefetch_related(
            "lines"
        )
        return {str(order.pk): snapshot(order) for order in orders}

    def issue_gift_card(self, **kwargs):
        raise GiftCardsUnavailable(
            "This store keeps rewards in the wallet; gift cards are issued only inside Saleor."
        )

    def authenticate(self, request):
        """Staff and customers of the standalone host authenticate with a token made by
        `token_for(user)`; inside Saleor the plugin uses Saleor's own JWT instead."""
        from django.core import signing

        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            return None
        try:
            user_id = signing.loads(header[7:], salt="standalone-host", max_age=3600)
        except signing.SignatureExpired as error:
            raise PermissionError("Signature has expired.") from ExpiredSignatureError(str(error))
        except signing.BadSignature as error:
            raise PermissionError("Invalid token.") from error
        return get_user_model().objects.filter(pk=user_id, is_active=True).first()

    def has_permission(self, user, permission: str) -> bool:
        return bool(
            user
            and user.is_staff
            and permission in PERMISSIONS
            and (user.is_superuser or user.has_perm(f"store.{permission.lower()}"))
        )

    def has_channel_access(self, user, channel: str) -> bool:
        """As Saleor decides it: the union of the channels of the staff member's groups (every
        channel through a group that is not restricted), none without a group."""
        for group in user.groups.select_related("channel_access"):
            access = getattr(group, "channel_access", None)
            if access is None or not access.restricted_access_to_channels:
                return True
            if channel in access.channels:
                return True
        return False

    def graphql_url(self, channel: str) -> str:
        return f"/graphql/?channel={channel}"

    def report_url(self, channel: str) -> str:
        return f"/report/?channel={channel}"


def token_for(user) -> str:
    from django.core import signing

    return signing.dumps(user.pk, salt="standalone-host")
