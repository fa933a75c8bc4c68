"""Wallet credit becomes a real Saleor gift card that Saleor's own checkout accepts."""

from decimal import Decimal as D

from saleor.giftcard import GiftCardEvents
from saleor.giftcard.models import GiftCard
from saleor.graphql.tests.fixtures import ApiClient

from saleor_dividend_plugin.adapter import compat
from saleor_dividend_plugin.ledger import Accounts
from saleor_dividend_plugin.models import AccountKind, GiftCardIssue, Member

from .storefront import post_rewards, record_of, saleor_token

CONVERT = """
mutation {
  walletConvertToGiftCard(amount: "16.00", idempotencyKey: "first-card") {
    giftCard { code giftCardId amount { amount currency } }
    errors { field code message }
  }
}"""


def test_wallet_credit_pays_part_of_a_checkout_as_a_gift_card(
    storefront, rewards_channel, customer_user, customer_user2, api_client, client
):
    # The second order pays 16.00 of the first one's queue entry into its owner's wallet.
    storefront.buy(customer_user, quantity=3)
    storefront.buy(customer_user2, quantity=5)
    token = saleor_token(api_client, customer_user)

    response = post_rewards(client, CONVERT, token)

    data = response.json()["data"]["walletConvertToGiftCard"]
    assert data["errors"] == []
    assert data["giftCard"]["amount"] == {"amount": "16.00", "currency": "USD"}
    card = GiftCard.objects.get(code=data["giftCard"]["code"])
    assert str(card.pk) == data["giftCard"]["giftCardId"]
    assert (card.currency, card.initial_balance_amount, card.current_balance_amount) == (
        "USD",
        D("16.00"),
        D("16.00"),
    )
    assert card.is_active
    assert card.created_by == customer_user
    assert [tag.name for tag in card.tags.all()] == ["rewards wallet"]
    events = {GiftCardEvents.ISSUED, GiftCardEvents.NOTE_ADDED}
    if compat.gift_cards_assignable():
        events.add(GiftCardEvents.ASSIGNED_TO_USER)
    assert set(card.events.values_list("type", flat=True)) == events
    member = Member.objects.get(channel=rewards_channel, user=customer_user)
    assert Accounts(rewards_channel).member(member, AccountKind.WALLET).balance == 0
    assert GiftCardIssue.objects.get(member=member).code == card.code

    if compat.gift_cards_assignable():
        # Another customer cannot use it: the card is theirs alone.
        assert card.assigned_to == customer_user
        other = ApiClient(user=customer_user2)
        other_checkout = storefront.start_checkout(other, quantity=1)
        assert storefront.add_promo_code(other, other_checkout, card.code)["errors"]
    else:
        # Saleor 3.21 and 3.22 have no cards restricted to a customer: the code is the key.
        assert not hasattr(card, "assigned_to")

    # Its owner spends it on one unit (10.00) plus shipping (10.00) and pays the rest.
    owner = ApiClient(user=customer_user)
    checkout_id = storefront.start_checkout(owner, quantity=1)
    assert storefront.add_promo_code(owner, checkout_id, card.code)["errors"] == []
    assert storefront.total(owner, checkout_id) == D("4.00")
    order = storefront.pay_and_complete(owner, checkout_id)

    assert order.total_gross_amount == D("4.00")
    assert order.total_charged_amount == D("4.00")
    card.refresh_from_db()
    assert card.current_balance_amount == 0
    assert card.used_by == customer_user
    # Goods bought with store credit earn like any other: the qualifying amount is the subtotal.
    assert record_of(order).amount == D("10.00")
