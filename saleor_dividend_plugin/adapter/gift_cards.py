"""Store credit as a Saleor gift card, made the way Saleor's own `giftCardCreate` makes one."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from saleor.channel.models import Channel
from saleor.core.utils.events import call_event
from saleor.core.utils.promo_code import generate_promo_code
from saleor.giftcard import events
from saleor.giftcard.models import GiftCard, GiftCardTag
from saleor.plugins.manager import get_plugins_manager

from ..host import GiftCard as IssuedCard
from ..host import GiftCardsUnavailable
from . import compat

# Lets staff find the cards the rewards wallet issued in the Dashboard's gift card list.
TAG = "rewards wallet"


def issue_gift_card(*, user_id, channel: str, currency: str, amount: Decimal, note: str):
    """A card for `amount` in the channel currency, created by (and, where Saleor supports it,
    restricted to) the customer whose credit it carries."""
    customer = get_user_model().objects.get(pk=user_id)
    channel_currency = (
        Channel.objects.filter(slug=channel).values_list("currency_code", flat=True).first()
    )
    if channel_currency != currency:
        # Saleor refuses a card in another currency at checkout: better no card than a dead one.
        raise GiftCardsUnavailable(
            f"This store no longer sells in {currency} in this channel, so the credit cannot "
            "become a gift card."
        )
    with transaction.atomic():
        card = GiftCard.objects.create(
            code=generate_promo_code(),
            is_active=True,
            currency=currency,
            initial_balance_amount=amount,
            current_balance_amount=amount,
            created_by=customer,
            created_by_email=customer.email,
            **compat.gift_card_owner_fields(customer),
        )
        tag, _ = GiftCardTag.objects.get_or_create(name=TAG)
        card.tags.add(tag)
        events.gift_card_issued_event(gift_card=card, user=customer, app=None)
        compat.record_gift_card_assigned(card, customer)
        if note:
            events.gift_card_note_added_event(gift_card=card, user=customer, app=None, message=note)
        # Apps and plugins subscribed to GIFT_CARD_CREATED hear of it once the card is committed.
        manager = get_plugins_manager(allow_replica=False)
        call_event(manager.gift_card_created, card)
    return IssuedCard(id=str(card.pk), code=card.code)
