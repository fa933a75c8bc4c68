"""The standalone host's orders: just enough of a store to drive the plugin as Saleor does."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

MONEY = {"max_digits": 20, "decimal_places": 3, "default": Decimal(0)}


class StoreOrder(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    number = models.CharField(max_length=32, blank=True)
    channel = models.CharField(max_length=255)
    currency = models.CharField(max_length=3)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    from_checkout = models.BooleanField(default=True)
    status = models.CharField(max_length=16, default="open")
    shipping_gross = models.DecimalField(**MONEY)
    shipping_net = models.DecimalField(**MONEY)
    charged = models.DecimalField(**MONEY)
    refunded = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        permissions = [
            ("manage_orders", "Manage orders (and rewards accounts)"),
            ("manage_gift_card", "Manage gift cards (and wallet withdrawals)"),
        ]


class StoreOrderLine(models.Model):
    order = models.ForeignKey(StoreOrder, on_delete=models.CASCADE, related_name="lines")
    product_type = models.CharField(max_length=64, default="default")
    gross = models.DecimalField(**MONEY)
    net = models.DecimalField(**MONEY)


class GroupChannels(models.Model):
    """Saleor's channel restriction of a permission group, for the standalone host's groups: a
    group without a row, or not restricted, reaches every channel; a restricted one only its
    `channels` (slugs)."""

    group = models.OneToOneField(
        "auth.Group", primary_key=True, on_delete=models.CASCADE, related_name="channel_access"
    )
    restricted_access_to_channels = models.BooleanField(default=False)
    channels = models.JSONField(default=list, blank=True)
