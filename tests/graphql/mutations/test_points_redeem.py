from decimal import Decimal

from saleor_dividend_plugin.models import AccountKind, LedgerTransaction

from ..conftest import error_codes, ledger_state

D = Decimal
REDEEM = """
mutation Redeem($points: Decimal!, $toGiftCard: Boolean, $key: String) {
  pointsRedeem(points: $points, toGiftCard: $toGiftCard, idempotencyKey: $key) {
    errors { field code message }
    credit { amount currency }
    giftCard { code amount { amount } }
    account { points wallet { amount } }
  }
}
"""


def test_points_are_redeemed_into_the_wallet_at_todays_value(api, rewarded, customer, shop):
    result = api.data(REDEEM, {"points": "100", "key": "r-1"}, user=customer)["pointsRedeem"]
    assert result == {
        "errors": [],
        "credit": {"amount": "5.00", "currency": "USD"},
        "giftCard": None,
        "account": {"points": "0", "wallet": {"amount": "45.00"}},
    }
    assert shop.balance(rewarded, AccountKind.WALLET) == D("45.000")
    txn = LedgerTransaction.objects.get(kind="redemption")
    assert txn.key == f"gql:{shop.channel.pk}:{rewarded.pk}:pointsRedeem:r-1"


def test_a_retried_redemption_changes_nothing(api, rewarded, customer):
    api.data(REDEEM, {"points": 100, "key": "same"}, user=customer)
    before = ledger_state()
    result = api.data(REDEEM, {"points": 100, "key": "same"}, user=customer)["pointsRedeem"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("idempotencyKey", "DUPLICATE")]
    assert ledger_state() == before


def test_without_a_key_every_request_is_a_new_one(api, make_shop, make_user):
    shop = make_shop(points_min_redemption=10)
    alice = make_user("alice")
    shop.order(alice, 100)
    for _ in range(2):
        result = api.data(REDEEM, {"points": 10}, user=alice)["pointsRedeem"]
        assert result["errors"] == [] and result["credit"]["amount"] == "0.50"
    assert shop.balance(alice, AccountKind.POINTS) == D(80)


def test_refusals_of_the_points_service_are_reported_on_points(api, rewarded, customer):
    before = ledger_state()
    for points, code in (
        ("50", "BELOW_MINIMUM"),
        ("200", "INSUFFICIENT_POINTS"),
        ("100.5", "INVALID_AMOUNT"),
    ):
        result = api.data(REDEEM, {"points": points}, user=customer)["pointsRedeem"]
        assert [(e["field"], e["code"]) for e in result["errors"]] == [("points", code)], points
        assert result["errors"][0]["message"]
        assert result["credit"] is None
    assert ledger_state() == before


def test_points_can_go_straight_onto_a_gift_card(api, rewarded, customer, gift_cards):
    variables = {"points": "100", "toGiftCard": True, "key": "g-1"}
    result = api.data(REDEEM, variables, user=customer)["pointsRedeem"]
    assert result == {
        "errors": [],
        "credit": {"amount": "5.00", "currency": "USD"},
        "giftCard": {"code": "GIFT-0001", "amount": {"amount": "5.00"}},
        "account": {"points": "0", "wallet": {"amount": "40.00"}},
    }
    assert [card["amount"] for card in gift_cards] == [D("5.00")]
    again = api.data(REDEEM, variables, user=customer)["pointsRedeem"]
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("idempotencyKey", "DUPLICATE")]
    too_many = api.data(REDEEM, {"points": "100", "toGiftCard": True}, user=customer)
    assert [(e["field"], e["code"]) for e in too_many["pointsRedeem"]["errors"]] == [
        ("points", "INSUFFICIENT_POINTS")
    ]
    assert len(gift_cards) == 1


def test_without_gift_cards_in_the_host_the_points_stay(api, rewarded, customer):
    before = ledger_state()
    result = api.data(REDEEM, {"points": 100, "toGiftCard": True}, user=customer)["pointsRedeem"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(None, "GIFT_CARDS_UNAVAILABLE")]
    assert ledger_state() == before


def test_anonymous_callers_cannot_redeem(api, rewarded):
    before = ledger_state()
    body = api(REDEEM, {"points": 100})
    assert error_codes(body) == ["PermissionDenied"]
    assert body["data"] == {"pointsRedeem": None}
    assert ledger_state() == before


def test_points_of_one_channel_cannot_be_redeemed_in_another(api, rewarded, customer, make_channel):
    outlet = make_channel("outlet")
    before = ledger_state()[0]
    result = api.data(REDEEM, {"points": 100}, user=customer, channel=outlet)["pointsRedeem"]
    assert [e["code"] for e in result["errors"]] == ["INSUFFICIENT_POINTS"]
    assert ledger_state()[0] == before
