"""Staff corrections: points need MANAGE_ORDERS, the wallet MANAGE_GIFT_CARD."""

from decimal import Decimal

from graphql_relay import to_global_id

from saleor_dividend_plugin import members
from saleor_dividend_plugin.models import AccountKind, LedgerTransaction

from ..conftest import account_id, error_codes, ledger_state

D = Decimal
ADJUST = """
mutation Adjust($id: ID!, $kind: RewardAdjustmentKind!, $amount: Decimal!, $reason: String!,
                $currency: String, $key: String) {
  rewardAccountAdjust(id: $id, kind: $kind, amount: $amount, reason: $reason,
                      currency: $currency, idempotencyKey: $key) {
    errors { field code message }
    account { points wallet { amount }
              history(first: 1) { edges { node { kind account amount memo } } } }
  }
}
"""


def adjust(api, user, member, kind, amount, reason="goodwill", **extra):
    variables = {
        "id": account_id(member),
        "kind": kind,
        "amount": amount,
        "reason": reason,
        **extra,
    }
    return api(ADJUST, variables, user=user)


def codes(body):
    return [(e["field"], e["code"]) for e in body["data"]["rewardAccountAdjust"]["errors"]]


def test_staff_add_points_with_a_reason(api, rewarded, make_staff, shop):
    clerk = make_staff("MANAGE_ORDERS")
    body = adjust(api, clerk, rewarded, "POINTS", "50", reason="late delivery", key="a-1")
    assert body["data"]["rewardAccountAdjust"] == {
        "errors": [],
        "account": {
            "points": "150",
            "wallet": {"amount": "40.00"},
            "history": {
                "edges": [
                    {
                        "node": {
                            "kind": "POINTS_ADJUSTMENT",
                            "account": "POINTS",
                            "amount": "50",
                            "memo": f"staff #{clerk.pk}: late delivery",
                        }
                    }
                ]
            },
        },
    }
    assert shop.balance(rewarded, AccountKind.POINTS) == D(150)
    assert LedgerTransaction.objects.get(kind="adjustment_points").key == (
        f"gql:{shop.channel.pk}:{rewarded.pk}:rewardAccountAdjust:a-1"
    )
    before = ledger_state()
    retry = adjust(api, clerk, rewarded, "POINTS", "50", reason="late delivery", key="a-1")
    assert codes(retry) == [("idempotencyKey", "DUPLICATE")]
    assert ledger_state() == before


def test_staff_take_wallet_credit_away_but_never_below_zero(api, rewarded, make_staff, shop):
    cashier = make_staff("MANAGE_GIFT_CARD")
    body = adjust(api, cashier, rewarded, "WALLET", "-15.50", currency="USD")
    assert body["data"]["rewardAccountAdjust"]["errors"] == []
    assert body["data"]["rewardAccountAdjust"]["account"]["wallet"] == {"amount": "24.50"}
    before = ledger_state()
    assert codes(adjust(api, cashier, rewarded, "WALLET", "-24.51")) == [
        ("amount", "INSUFFICIENT_FUNDS")
    ]
    assert ledger_state() == before
    assert shop.balance(rewarded, AccountKind.WALLET) == D("24.50")


def test_each_balance_needs_its_own_permission(api, rewarded, customer, make_staff):
    before = ledger_state()
    clerk, cashier = make_staff("MANAGE_ORDERS"), make_staff("MANAGE_GIFT_CARD")
    for user, kind in (
        (clerk, "WALLET"),
        (cashier, "POINTS"),
        (make_staff(), "POINTS"),
        (customer, "POINTS"),
        (customer, "WALLET"),
        (None, "WALLET"),
    ):
        body = adjust(api, user, rewarded, kind, "10")
        assert error_codes(body) == ["PermissionDenied"], (user, kind)
        assert body["data"] == {"rewardAccountAdjust": None}
    assert ledger_state() == before
    boss = make_staff(superuser=True)
    assert codes(adjust(api, boss, rewarded, "WALLET", "10")) == []
    assert codes(adjust(api, boss, rewarded, "POINTS", "10")) == []


def test_a_customer_cannot_adjust_their_own_account_with_a_crafted_id(api, rewarded, customer):
    before = ledger_state()
    for kind in ("POINTS", "WALLET"):
        body = adjust(api, customer, rewarded, kind, "1000")
        assert error_codes(body) == ["PermissionDenied"]
    assert ledger_state() == before


def test_accounts_are_found_only_in_the_channel_and_by_their_own_ids(
    api, rewarded, make_staff, make_channel, make_user
):
    clerk = make_staff("MANAGE_ORDERS")
    elsewhere = members.member_for(make_channel("outlet"), make_user("carol").pk)
    before = ledger_state()
    assert codes(adjust(api, clerk, elsewhere, "POINTS", "10")) == [("id", "NOT_FOUND")]
    for bad in (
        to_global_id("RewardWithdrawal", rewarded.pk),
        "garbage",
        to_global_id("RewardAccount", "1 OR 1=1"),
    ):
        variables = {"id": bad, "kind": "POINTS", "amount": "10", "reason": "x"}
        assert codes(api(ADJUST, variables, user=clerk)) == [("id", "INVALID")], bad
    assert ledger_state() == before


def test_points_are_whole_and_have_no_currency_and_a_reason_is_required(api, rewarded, make_staff):
    clerk = make_staff("MANAGE_ORDERS")
    before = ledger_state()
    assert codes(adjust(api, clerk, rewarded, "POINTS", "1.5")) == [("amount", "INVALID_AMOUNT")]
    assert codes(adjust(api, clerk, rewarded, "POINTS", "5", currency="USD")) == [
        ("currency", "INVALID_CURRENCY")
    ]
    assert codes(adjust(api, clerk, rewarded, "POINTS", "5", reason=" ")) == [
        ("reason", "REQUIRED")
    ]
    assert codes(adjust(api, clerk, rewarded, "POINTS", "-101")) == [
        ("amount", "INSUFFICIENT_FUNDS")
    ]
    assert ledger_state() == before
