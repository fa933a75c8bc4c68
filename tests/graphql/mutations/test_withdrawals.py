"""Requesting a withdrawal (customer), listing and deciding them (staff, MANAGE_GIFT_CARD)."""

from decimal import Decimal

import pytest

from saleor_dividend_plugin.models import AccountKind, Withdrawal, WithdrawalStatus

from ..conftest import error_codes, ledger_state, withdrawal_id

D = Decimal
REQUEST = """
mutation Request($amount: Decimal!, $details: String!, $currency: String, $key: String) {
  withdrawalRequest(amount: $amount, details: $details, currency: $currency,
                    idempotencyKey: $key) {
    errors { field code message }
    withdrawal { id status amount { amount currency } details }
    account { wallet { amount } withdrawals { totalCount } }
  }
}
"""
LIST = """
query Withdrawals($statuses: [RewardWithdrawalStatus!]) {
  rewardWithdrawals(first: 10, filter: {statuses: $statuses}) {
    totalCount
    edges { node { id status amount { amount } details account { email wallet { amount } } } }
  }
}
"""
APPROVE = """
mutation Approve($id: ID!, $reason: String) {
  withdrawalApprove(id: $id, reason: $reason) {
    errors { field code message }
    withdrawal { status reason decidedAt }
  }
}
"""
REJECT = """
mutation Reject($id: ID!, $reason: String!) {
  withdrawalReject(id: $id, reason: $reason) {
    errors { field code message }
    withdrawal { status reason account { wallet { amount } } }
  }
}
"""


@pytest.fixture
def channel(make_channel):
    return make_channel(withdrawals_enabled="true", min_withdrawal="10")


def request_withdrawal(api, user, amount="20.00", key=None):
    variables = {"amount": amount, "details": "IBAN DE00 1234", "key": key}
    return api.data(REQUEST, variables, user=user)["withdrawalRequest"]


def test_a_customer_asks_for_wallet_credit_to_be_paid_out(api, rewarded, customer, shop):
    result = request_withdrawal(api, customer, "25.00")
    withdrawal = Withdrawal.objects.get()
    assert result == {
        "errors": [],
        "withdrawal": {
            "id": withdrawal_id(withdrawal),
            "status": "REQUESTED",
            "amount": {"amount": "25.00", "currency": "USD"},
            "details": "IBAN DE00 1234",
        },
        "account": {"wallet": {"amount": "15.00"}, "withdrawals": {"totalCount": 1}},
    }
    assert shop.balance(rewarded, AccountKind.WALLET) == D("15.00")


def test_a_retried_request_sets_nothing_more_aside(api, rewarded, customer):
    request_withdrawal(api, customer, key="w-1")
    before = ledger_state()
    result = request_withdrawal(api, customer, key="w-1")
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("idempotencyKey", "DUPLICATE")]
    assert ledger_state() == before


def test_the_wallet_service_rules_are_reported(api, rewarded, customer):
    before = ledger_state()
    assert [e["code"] for e in request_withdrawal(api, customer, "9.99")["errors"]] == [
        "BELOW_MINIMUM"
    ]
    assert [e["code"] for e in request_withdrawal(api, customer, "40.01")["errors"]] == [
        "INSUFFICIENT_FUNDS"
    ]
    blank = api.data(REQUEST, {"amount": "20", "details": "  "}, user=customer)
    assert [(e["field"], e["code"]) for e in blank["withdrawalRequest"]["errors"]] == [
        ("details", "REQUIRED")
    ]
    assert ledger_state() == before


def test_a_store_that_pays_nothing_out_refuses(api, make_shop, make_user):
    shop = make_shop(withdrawals_enabled="false")
    alice = make_user("alice")
    shop.order(alice, 100)
    shop.order(make_user("bob"), 100)
    before = ledger_state()
    result = request_withdrawal(api, alice, "20")
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(None, "WITHDRAWALS_DISABLED")]
    assert ledger_state() == before


def test_staff_list_approve_and_reject_requests(api, rewarded, customer, make_staff, shop):
    first = request_withdrawal(api, customer, "20.00")["withdrawal"]["id"]
    second = request_withdrawal(api, customer, "10.00")["withdrawal"]["id"]
    cashier = make_staff("MANAGE_GIFT_CARD")

    listed = api.data(LIST, {"statuses": ["REQUESTED"]}, user=cashier)["rewardWithdrawals"]
    assert listed["totalCount"] == 2
    assert [(e["node"]["id"], e["node"]["amount"]["amount"]) for e in listed["edges"]] == [
        (first, "20.00"),
        (second, "10.00"),
    ]
    assert listed["edges"][0]["node"]["account"] == {
        "email": "alice@example.com",
        "wallet": {"amount": "10.00"},
    }

    approved = api.data(APPROVE, {"id": first, "reason": "paid 3 May"}, user=cashier)
    assert approved["withdrawalApprove"]["errors"] == []
    assert approved["withdrawalApprove"]["withdrawal"]["status"] == "APPROVED"
    assert approved["withdrawalApprove"]["withdrawal"]["reason"] == "paid 3 May"
    rejected = api.data(REJECT, {"id": second, "reason": "unknown IBAN"}, user=cashier)
    assert rejected["withdrawalReject"] == {
        "errors": [],
        "withdrawal": {
            "status": "REJECTED",
            "reason": "unknown IBAN",
            "account": {"wallet": {"amount": "20.00"}},
        },
    }
    assert shop.balance(rewarded, AccountKind.WALLET) == D("20.00")
    assert Withdrawal.objects.get(status=WithdrawalStatus.APPROVED).decided_by == (
        f"staff #{cashier.pk}"
    )

    before = ledger_state()
    again = api.data(REJECT, {"id": first, "reason": "oops"}, user=cashier)["withdrawalReject"]
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("id", "ALREADY_DECIDED")]
    assert ledger_state() == before
    assert api.data(LIST, {"statuses": ["REQUESTED"]}, user=cashier)["rewardWithdrawals"] == {
        "totalCount": 0,
        "edges": [],
    }


def test_a_rejection_needs_a_reason(api, rewarded, customer, make_staff):
    wid = request_withdrawal(api, customer)["withdrawal"]["id"]
    result = api.data(REJECT, {"id": wid, "reason": " "}, user=make_staff("MANAGE_GIFT_CARD"))
    assert [(e["field"], e["code"]) for e in result["withdrawalReject"]["errors"]] == [
        ("reason", "REQUIRED")
    ]
    assert Withdrawal.objects.get().status == WithdrawalStatus.REQUESTED


def test_only_staff_with_manage_gift_card_see_and_decide_withdrawals(
    api, rewarded, customer, make_staff
):
    wid = request_withdrawal(api, customer)["withdrawal"]["id"]
    before = ledger_state()
    for user in (None, customer, make_staff(), make_staff("MANAGE_ORDERS")):
        listed = api(LIST, user=user)
        assert error_codes(listed) == ["PermissionDenied"]
        assert listed["data"] == {"rewardWithdrawals": None}
        for mutation, variables in ((APPROVE, {"id": wid}), (REJECT, {"id": wid, "reason": "x"})):
            body = api(mutation, variables, user=user)
            assert error_codes(body) == ["PermissionDenied"]
    assert ledger_state() == before
    assert Withdrawal.objects.get().status == WithdrawalStatus.REQUESTED
    assert api.data(LIST, user=make_staff(superuser=True))["rewardWithdrawals"]["totalCount"] == 1


def test_withdrawals_of_another_channel_are_out_of_reach(api, make_channel, make_user, make_staff):
    from saleor_dividend_plugin import members, wallet

    outlet = make_channel("outlet", withdrawals_enabled="true")
    web = make_channel("web", withdrawals_enabled="true")
    staff = make_staff("MANAGE_GIFT_CARD")
    member = members.member_for(outlet, make_user("carol").pk)
    wallet.adjust(member, "wallet", D(50), reason="welcome", staff="test", key="seed")
    elsewhere = wallet.request_withdrawal(member, D(20), "IBAN", key="w")
    before = ledger_state()
    result = api.data(APPROVE, {"id": withdrawal_id(elsewhere)}, user=staff, channel=web)
    assert [(e["field"], e["code"]) for e in result["withdrawalApprove"]["errors"]] == [
        ("id", "NOT_FOUND")
    ]
    assert api.data(LIST, user=staff, channel=web)["rewardWithdrawals"]["totalCount"] == 0
    assert ledger_state() == before
    crafted = api.data(APPROVE, {"id": "UmV3YXJkQWNjb3VudDox"}, user=staff, channel=web)
    assert [(e["field"], e["code"]) for e in crafted["withdrawalApprove"]["errors"]] == [
        ("id", "INVALID")
    ]
