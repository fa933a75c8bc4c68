"""Amounts a client sends are refused, with nothing changed, unless they mean an amount of the
channel currency: negative, zero, huge, not a number, too fine, or in another currency."""

from decimal import Decimal

import pytest

from saleor_dividend_plugin import wallet

from ..conftest import account_id, error_codes, ledger_state

D = Decimal


@pytest.fixture
def channel(make_channel):
    return make_channel(withdrawals_enabled="true", min_withdrawal="1")


CUSTOMER_MUTATIONS = {
    "walletConvertToGiftCard": """
        mutation($amount: Decimal!, $currency: String) {
          walletConvertToGiftCard(amount: $amount, currency: $currency) {
            errors { field code message } } }""",
    "withdrawalRequest": """
        mutation($amount: Decimal!, $currency: String) {
          withdrawalRequest(amount: $amount, currency: $currency, details: "IBAN") {
            errors { field code message } } }""",
}
WALLET_ADJUST = """
    mutation($id: ID!, $amount: Decimal!, $currency: String) {
      rewardAccountAdjust(id: $id, kind: WALLET, amount: $amount, currency: $currency,
                          reason: "test") { errors { field code message } } }"""
LITERAL = 'mutation { withdrawalRequest(amount: %s, details: "IBAN") { errors { code } } }'
REDEEM = """
    mutation($amount: Decimal!) {
      pointsRedeem(points: $amount) { errors { field code message } } }"""

REFUSED = [
    ("-5.00", "amount", "INVALID_AMOUNT"),
    ("0", "amount", "INVALID_AMOUNT"),
    ("0.00", "amount", "INVALID_AMOUNT"),
    ("1e12", "amount", "INVALID_AMOUNT"),
    ("99999999999999999999", "amount", "INVALID_AMOUNT"),
    ("1.001", "amount", "INVALID_AMOUNT"),
    ("1E-9", "amount", "INVALID_AMOUNT"),
]
NOT_NUMBERS = [
    "abc",
    "",
    "NaN",
    "Infinity",
    "-Infinity",
    "1,5",
    "0x10",
    True,
    [1],
    {"a": 1},
    "9" * 100,
]


@pytest.fixture
def funded(rewarded, gift_cards):
    """Alice has 40.00 in her wallet, in a host that issues gift cards."""
    return rewarded


def test_customer_mutations_refuse_amounts_that_mean_nothing(api, funded, customer):
    for name, mutation in CUSTOMER_MUTATIONS.items():
        before = ledger_state()
        for amount, field, code in REFUSED:
            body = api(mutation, {"amount": amount}, user=customer)
            errors = body["data"][name]["errors"]
            assert [(e["field"], e["code"]) for e in errors] == [(field, code)], (name, amount)
        ledger = ledger_state()
        assert ledger == before, name


def test_not_numbers_never_reach_a_mutation(api, funded, customer, make_staff):
    cashier = make_staff("MANAGE_GIFT_CARD")
    cases = [(m, customer, {}) for m in CUSTOMER_MUTATIONS.values()]
    cases += [(WALLET_ADJUST, cashier, {"id": account_id(funded)}), (REDEEM, customer, {})]
    before = ledger_state()
    for mutation, user, extra in cases:
        for amount in NOT_NUMBERS:
            body = api(mutation, {"amount": amount, **extra}, user=user)
            assert api.status == 400, amount
            assert error_codes(body) == ["GraphQLError"]
            assert "data" not in body
    for literal in ('"twelve"', '"NaN"', "true", "[1]", "{a: 1}", '"Infinity"'):
        body = api(LITERAL % literal, user=customer)
        assert api.status == 400, literal
        assert error_codes(body) == ["GraphQLError"]
        assert "Decimal" in body["errors"][0]["message"]
    assert api.data(LITERAL % "12.5", user=customer)["withdrawalRequest"]["errors"] == []
    assert ledger_state()[0] == before[0] + 1


def test_another_currency_is_refused_not_converted(api, funded, customer, make_staff):
    cashier = make_staff("MANAGE_GIFT_CARD")
    before = ledger_state()
    for currency in ("EUR", "usd ", "US", "PTS"):
        for name, mutation in CUSTOMER_MUTATIONS.items():
            body = api(mutation, {"amount": "10", "currency": currency}, user=customer)
            errors = [(e["field"], e["code"]) for e in body["data"][name]["errors"]]
            if currency.strip().upper() == "USD":
                assert errors == [], name
            else:
                assert errors == [("currency", "INVALID_CURRENCY")], (name, currency)
    body = api(
        WALLET_ADJUST, {"id": account_id(funded), "amount": "10", "currency": "EUR"}, user=cashier
    )
    assert [e["code"] for e in body["data"]["rewardAccountAdjust"]["errors"]] == [
        "INVALID_CURRENCY"
    ]
    # Only the two requests in USD went through: a gift card and a withdrawal of 10.00 each.
    assert ledger_state()[0] == before[0] + 2


def test_a_currency_without_cents_refuses_cents(api, make_channel, make_user, make_staff):
    yen = make_channel("tokyo", currency="JPY")
    member_user = make_user("kenji")
    from saleor_dividend_plugin import members

    member = members.member_for(yen, member_user.pk)
    wallet.adjust(member, "wallet", D(5000), reason="welcome", staff="test", key="seed")
    cashier = make_staff("MANAGE_GIFT_CARD")
    before = ledger_state()
    body = api(
        WALLET_ADJUST, {"id": account_id(member), "amount": "10.5"}, user=cashier, channel=yen
    )
    assert [
        (e["field"], e["code"], e["message"]) for e in body["data"]["rewardAccountAdjust"]["errors"]
    ] == [("amount", "INVALID_AMOUNT", "JPY amounts have at most 0 decimal places.")]
    assert ledger_state() == before
    body = api(WALLET_ADJUST, {"id": account_id(member), "amount": 10}, user=cashier, channel=yen)
    assert body["data"]["rewardAccountAdjust"]["errors"] == []


def test_staff_corrections_are_signed_but_not_zero_or_absurd(api, funded, make_staff):
    cashier = make_staff("MANAGE_GIFT_CARD")
    before = ledger_state()
    for amount in ("0", "-0.00", "1e12", "-1e12", "0.001"):
        body = api(WALLET_ADJUST, {"id": account_id(funded), "amount": amount}, user=cashier)
        assert [(e["field"], e["code"]) for e in body["data"]["rewardAccountAdjust"]["errors"]] == [
            ("amount", "INVALID_AMOUNT")
        ], amount
    assert ledger_state() == before


def test_points_must_be_whole_positive_and_sane(api, funded, customer):
    before = ledger_state()
    for points in ("-100", "0", "100.5", "1e15", "1e-3"):
        body = api(REDEEM, {"amount": points}, user=customer)
        assert [(e["field"], e["code"]) for e in body["data"]["pointsRedeem"]["errors"]] == [
            ("points", "INVALID_AMOUNT")
        ], points
    assert ledger_state() == before


def test_json_numbers_are_read_exactly(api, funded, customer):
    """0.1 + 0.2 is not 0.30000000000000004 here: JSON numbers never become floats."""
    body = api(CUSTOMER_MUTATIONS["withdrawalRequest"], {"amount": 10.1}, user=customer)
    assert body["data"]["withdrawalRequest"]["errors"] == []
    assert api.data("{ rewardAccount { wallet { amount } } }", user=customer) == {
        "rewardAccount": {"wallet": {"amount": "29.90"}}
    }
