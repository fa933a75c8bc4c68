from decimal import Decimal

from saleor_dividend_plugin.models import AccountKind, GiftCardIssue

from ..conftest import error_codes, ledger_state

D = Decimal
CONVERT = """
mutation Convert($amount: Decimal!, $currency: String, $key: String) {
  walletConvertToGiftCard(amount: $amount, currency: $currency, idempotencyKey: $key) {
    errors { field code message }
    giftCard { id code giftCardId amount { amount currency } }
    account { wallet { amount } giftCards { totalCount edges { node { code } } } }
  }
}
"""


def test_wallet_credit_becomes_a_gift_card(api, rewarded, customer, gift_cards, shop):
    variables = {"amount": "25.50", "currency": "USD", "key": "c-1"}
    result = api.data(CONVERT, variables, user=customer)["walletConvertToGiftCard"]
    card = GiftCardIssue.objects.get()
    assert result["errors"] == []
    assert result["giftCard"]["code"] == "GIFT-0001"
    assert result["giftCard"]["giftCardId"] == "1"
    assert result["giftCard"]["amount"] == {"amount": "25.50", "currency": "USD"}
    assert result["account"] == {
        "wallet": {"amount": "14.50"},
        "giftCards": {"totalCount": 1, "edges": [{"node": {"code": "GIFT-0001"}}]},
    }
    assert (card.member_id, card.amount) == (rewarded.pk, D("25.50"))
    assert gift_cards == [
        dict(user_id=customer.pk, channel="web", currency="USD", amount=D("25.50"))
    ]
    assert shop.balance(rewarded, AccountKind.WALLET) == D("14.50")


def test_a_retried_conversion_issues_no_second_card(api, rewarded, customer, gift_cards):
    variables = {"amount": "10", "key": "c-1"}
    api.data(CONVERT, variables, user=customer)
    before = ledger_state()
    result = api.data(CONVERT, variables, user=customer)["walletConvertToGiftCard"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("idempotencyKey", "DUPLICATE")]
    assert ledger_state() == before
    assert len(gift_cards) == 1


def test_more_than_the_wallet_holds_is_refused(api, rewarded, customer, gift_cards):
    before = ledger_state()
    result = api.data(CONVERT, {"amount": "40.01"}, user=customer)["walletConvertToGiftCard"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("amount", "INSUFFICIENT_FUNDS")]
    assert result["giftCard"] is None
    assert ledger_state() == before and gift_cards == []


def test_a_store_without_gift_cards_keeps_the_credit_in_the_wallet(api, rewarded, customer):
    before = ledger_state()
    result = api.data(CONVERT, {"amount": "10"}, user=customer)["walletConvertToGiftCard"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(None, "GIFT_CARDS_UNAVAILABLE")]
    assert ledger_state() == before


def test_anonymous_callers_cannot_convert(api, rewarded, gift_cards):
    body = api(CONVERT, {"amount": "10"})
    assert error_codes(body) == ["PermissionDenied"]
    assert body["data"] == {"walletConvertToGiftCard": None}
    assert gift_cards == []
