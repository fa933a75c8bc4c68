"""One check for money amounts and one for points, whoever sends them: the wallet, the points
service and the GraphQL mutations all refuse the same values with the same words."""

from decimal import Decimal as D

import pytest

from saleor_dividend_plugin import points, wallet
from saleor_dividend_plugin.members import member_for
from saleor_dividend_plugin.money import InvalidAmount, parse_amount, parse_points
from saleor_dividend_plugin.points import RedemptionError
from saleor_dividend_plugin.wallet import WalletError

from .graphql.conftest import ledger_state

TOO_LARGE = "1000000000000"  # 10**12


@pytest.fixture
def member(channel, make_user):
    return member_for(channel, make_user().pk)


def refusal(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises((WalletError, RedemptionError)) as caught:
        call(*args, **kwargs)
    return caught.value.code, caught.value.message


def adjust(member, kind, amount):
    return wallet.adjust(member, kind, amount, reason="x", staff="staff #1", key=f"{kind}{amount}")


def test_every_service_refuses_amounts_and_points_from_ten_to_the_twelfth(member):
    before = ledger_state()
    amount_too_large = ("INVALID_AMOUNT", "The amount is too large.")
    points_too_large = "The number of points is too large."
    assert refusal(adjust, member, "wallet", TOO_LARGE) == amount_too_large
    assert refusal(adjust, member, "wallet", "-" + TOO_LARGE) == amount_too_large
    assert refusal(wallet.convert_to_gift_card, member, TOO_LARGE, key="k") == amount_too_large
    assert refusal(adjust, member, "points", TOO_LARGE) == ("INVALID_AMOUNT", points_too_large)
    assert refusal(points.redeem, member, TOO_LARGE, key="k") == ("INVALID", points_too_large)
    assert ledger_state() == before
    # Just below the bound is an amount (the wallet then finds it cannot cover it).
    assert refusal(wallet.convert_to_gift_card, member, "999999999999.99", key="k") == (
        "INSUFFICIENT_FUNDS",
        "The wallet holds 0.00, not 999999999999.99.",
    )
    assert adjust(member, "points", "999999999999") is not None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0.1, "Give amounts as a decimal number, not float."),
        (True, "Give amounts as a decimal number, not bool."),
        ("abc", "'abc' is not a number."),
        ("NaN", "Give amounts as a finite number."),
        ("0", "The amount must not be zero."),
        ("-1", "The amount must be above zero."),
        ("1e12", "The amount is too large."),
        ("0.001", "USD amounts have at most 2 decimal places."),
    ],
)
def test_the_amount_check_says_what_is_wrong(value, message):
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(value, "USD")
    assert caught.value.message == message


def test_amounts_and_points_that_pass_come_back_exact():
    assert parse_amount(" 12.5 ", "USD") == D("12.50")
    assert parse_amount("-3", "JPY", signed=True) == D("-3")
    assert parse_points("100") == D(100)
    assert parse_points("-999999999999", signed=True) == D("-999999999999")
    for value, message in [
        ("100.5", "Points are whole numbers."),
        ("0", "The number of points must not be zero."),
        ("-1", "The number of points must be above zero."),
        ("1e15", "The number of points is too large."),
    ]:
        with pytest.raises(InvalidAmount) as caught:
            parse_points(value)
        assert caught.value.message == message
