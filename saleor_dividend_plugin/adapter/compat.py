"""What differs between the Saleor lines the plugin supports (3.21, 3.22, 3.23 and main), in one
place: the rest of the adapter asks here instead of checking Saleor itself.

Each difference is read from the installed Saleor (its models and modules), not from its version
number, so a back-ported feature is used where it exists.
"""

from __future__ import annotations

import functools

from django.db.models import F, IntegerField
from django.db.models.functions import Coalesce
from saleor.giftcard import events as gift_card_events
from saleor.giftcard.models import GiftCard
from saleor.order.models import OrderLine


def _has_field(model, name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


@functools.cache
def gift_cards_assignable() -> bool:
    """Saleor 3.23 added gift cards restricted to one customer (`GiftCard.assigned_to` and the
    "assigned to customer" event); on 3.21 and 3.22 whoever has the code can spend a card."""
    return _has_field(GiftCard, "assigned_to") and hasattr(
        gift_card_events, "gift_card_assigned_event"
    )


def gift_card_owner_fields(customer) -> dict:
    """The fields that restrict a new card to `customer`, where Saleor has them."""
    if not gift_cards_assignable():
        return {}
    return {"assigned_to": customer, "assigned_to_email": customer.email}


def record_gift_card_assigned(card: GiftCard, customer) -> None:
    """The card's "assigned to customer" event, as Saleor's `giftCardCreate` writes it."""
    if gift_cards_assignable():
        gift_card_events.gift_card_assigned_event(
            gift_card=card, previous_user_id=None, previous_email=None, user=customer, app=None
        )


@functools.cache
def _order_line_keeps_product_type() -> bool:
    return _has_field(OrderLine, "product_type_id")


def order_line_product_type_id():
    """An OrderLine expression for the id of the line's product type. Saleor 3.22 keeps it on the
    line itself, so it survives deleting the product; 3.21 has it only through the variant."""
    via_variant = F("variant__product__product_type_id")
    if _order_line_keeps_product_type():
        return Coalesce("product_type_id", via_variant, output_field=IntegerField())
    return via_variant
