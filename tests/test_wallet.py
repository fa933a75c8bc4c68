"""The wallet: gift cards, withdrawals and staff corrections, each posted once."""

from decimal import Decimal as D

import pytest

from saleor_dividend_plugin import wallet
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.host import GiftCard
from saleor_dividend_plugin.ledger import Accounts
from saleor_dividend_plugin.members import member_for
from saleor_dividend_plugin.models import (
    AccountKind,
    GiftCardIssue,
    LedgerTransaction,
    PointLot,
    Withdrawal,
)
from saleor_dividend_plugin.wallet import WalletError
from standalone_host.store.host import StandaloneHost


class GiftCardHost(StandaloneHost):
    """The standalone host, but issuing gift cards: it remembers every card it was asked for."""

    issued: list[dict] = []

    def issue_gift_card(self, *, user_id, channel, currency, amount, note):
        number = len(self.issued) + 1
        self.issued.append(
            dict(user_id=user_id, channel=channel, currency=currency, amount=amount, note=note)
        )
        return GiftCard(id=f"card-{number}", code=f"GIFT-{number:04d}")


@pytest.fixture
def gift_cards(settings):
    settings.DIVIDEND_HOST = f"{__name__}.GiftCardHost"
    GiftCardHost.issued.clear()
    return GiftCardHost.issued


@pytest.fixture
def member(channel, make_user):
    return member_for(channel, make_user().pk)


def credit(member, amount, key="top-up"):
    wallet.adjust(
        member, "wallet", D(amount), reason="goodwill", staff="staff@example.com", key=key
    )


def code_of(call, *args, **kwargs):
    with pytest.raises(WalletError) as caught:
        call(*args, **kwargs)
    return caught.value.code


def balance(member, kind):
    return Accounts(member.channel).member(member, kind).balance


def system(channel, kind):
    return Accounts(channel).system(kind).balance


def test_wallet_credit_becomes_a_gift_card_for_the_customer(channel, member, gift_cards):
    credit(member, "50.00")
    issue = wallet.convert_to_gift_card(member, D("20.00"), key="card-1")
    assert (issue.amount, issue.gift_card_id, issue.code) == (D("20.00"), "card-1", "GIFT-0001")
    assert gift_cards == [
        dict(
            user_id=member.user_id,
            channel="web",
            currency="USD",
            amount=D("20.00"),
            note="Store credit from the rewards wallet",
        )
    ]
    assert balance(member, AccountKind.WALLET) == D("30.00")
    assert system(channel, AccountKind.GIFT_CARDS) == D("20.00")
    assert code_of(wallet.convert_to_gift_card, member, D("1.00"), key="card-1") == "DUPLICATE"
    assert balance(member, AccountKind.WALLET) == D("30.00")
    assert len(gift_cards) == 1
    assert audit_channel(channel) == []


def test_amounts_are_checked_before_anything_moves(make_channel, make_user, gift_cards):
    usd = make_channel()
    member = member_for(usd, make_user().pk)
    credit(member, "30.00")
    for bad in (0, -1, "-0.01", "1.001", 1.5, "abc", "NaN", "Infinity", D("1e20"), None, True):
        assert code_of(wallet.convert_to_gift_card, member, bad, key="k") == "INVALID_AMOUNT", bad
    with pytest.raises(WalletError, match=r"^The wallet holds 30.00, not 30.01.$") as caught:
        wallet.convert_to_gift_card(member, "30.01", key="k")
    assert caught.value.code == "INSUFFICIENT_FUNDS"
    yen = make_channel(slug="jp", currency="JPY")
    member = member_for(yen, make_user().pk)
    credit(member, "500", key="yen-top-up")
    assert code_of(wallet.convert_to_gift_card, member, "1.5", key="k") == "INVALID_AMOUNT"
    assert wallet.convert_to_gift_card(member, "500", key="k").amount == D(500)
    assert (
        gift_cards[-1]["currency"] == "JPY"
        and not GiftCardIssue.objects.filter(amount__lt=D(500)).exists()
    )


def test_a_host_without_gift_cards_changes_nothing(channel, member):
    credit(member, "50.00")
    before = LedgerTransaction.objects.count()
    assert code_of(wallet.convert_to_gift_card, member, "20", key="k") == "GIFT_CARDS_UNAVAILABLE"
    assert balance(member, AccountKind.WALLET) == D("50.00")
    assert LedgerTransaction.objects.count() == before
    assert not GiftCardIssue.objects.exists()
    # The key was not used up: the same request can be made again once cards are available.
    assert not LedgerTransaction.objects.filter(key="k").exists()


def test_points_are_redeemed_straight_into_a_gift_card(make_shop, make_user, gift_cards):
    shop = make_shop(dividend_enabled="false")
    alice = make_user()
    shop.order(alice, "300")  # 300 points, backing 15.00
    member = shop.member(alice)
    issue = wallet.redeem_points_to_gift_card(member, 200, key="redeem-1")
    assert issue.amount == D("10.00") and gift_cards[-1]["amount"] == D("10.00")
    assert balance(member, AccountKind.POINTS) == D(100)
    assert balance(member, AccountKind.WALLET) == 0
    assert set(
        LedgerTransaction.objects.filter(key__startswith="redeem-1").values_list("key", "kind")
    ) == {("redeem-1:points", "redemption"), ("redeem-1", "gift_card")}
    attempts = {"redeem-1": 100, "other": 99, "more": 101, "half": "100.5", "float": 100.0}
    codes = {
        key: code_of(wallet.redeem_points_to_gift_card, member, points, key=key)
        for key, points in attempts.items()
    }
    assert codes == {
        "redeem-1": "DUPLICATE",
        "other": "BELOW_MINIMUM",
        "more": "INSUFFICIENT_FUNDS",
        "half": "INVALID_AMOUNT",
        "float": "INVALID_AMOUNT",
    }
    assert balance(member, AccountKind.POINTS) == D(100)
    assert audit_channel(shop.channel) == []


def test_points_stay_when_the_gift_card_cannot_be_issued(make_shop, make_user):
    shop = make_shop(dividend_enabled="false")
    alice = make_user()
    shop.order(alice, "300")
    member = shop.member(alice)
    assert code_of(wallet.redeem_points_to_gift_card, member, 200, key="k") == (
        "GIFT_CARDS_UNAVAILABLE"
    )
    assert balance(member, AccountKind.POINTS) == D(300)
    assert balance(member, AccountKind.WALLET) == 0
    assert PointLot.objects.get(member=member).remaining == D(300)
    assert not LedgerTransaction.objects.filter(key__startswith="k").exists()


def test_withdrawals_must_be_enabled(channel, member):
    credit(member, "50.00")
    assert code_of(wallet.request_withdrawal, member, "20", "IBAN DE00", key="w") == (
        "WITHDRAWALS_DISABLED"
    )


def test_a_withdrawal_waits_for_staff_who_approve_or_reject_it(make_channel, make_user):
    channel = make_channel(withdrawals_enabled="true", min_withdrawal=10)
    member = member_for(channel, make_user().pk)
    credit(member, "50.00")
    request = wallet.request_withdrawal
    assert code_of(request, member, "9.99", "IBAN DE00", key="w") == "BELOW_MINIMUM"
    assert code_of(request, member, "50.01", "IBAN DE00", key="w") == "INSUFFICIENT_FUNDS"
    assert code_of(request, member, "20", "  ", key="w") == "INVALID_DETAILS"
    assert code_of(request, member, "20", "x" * 256, key="w") == "INVALID_DETAILS"
    first = request(member, D("20.00"), " IBAN DE00 ", key="w1")
    second = request(member, "25", "IBAN DE00", key="w2")
    assert (first.status, first.amount, first.details) == ("requested", D("20.00"), "IBAN DE00")
    assert code_of(request, member, "20.00", "IBAN DE00", key="w1") == "DUPLICATE"
    assert balance(member, AccountKind.WALLET) == D("5.00")
    assert system(channel, AccountKind.WITHDRAWALS_PENDING) == D("45.00")

    approved = wallet.decide_withdrawal(first.pk, approve=True, staff="ann@example.com")
    assert (approved.status, approved.decided_by) == ("approved", "ann@example.com")
    rejected = wallet.decide_withdrawal(
        second.pk, approve=False, staff="ann@example.com", reason="Account name does not match"
    )
    assert (rejected.status, rejected.reason) == ("rejected", "Account name does not match")
    assert balance(member, AccountKind.WALLET) == D("30.00")
    assert system(channel, AccountKind.WITHDRAWALS_PENDING) == 0
    assert system(channel, AccountKind.WITHDRAWALS_PAID) == D("20.00")
    decide = wallet.decide_withdrawal
    assert code_of(decide, first.pk, approve=False, staff="bob@example.com") == "ALREADY_DECIDED"
    assert code_of(decide, second.pk, approve=True, staff="bob@example.com") == "ALREADY_DECIDED"
    assert code_of(decide, 10**9, approve=True, staff="bob@example.com") == "NOT_FOUND"
    assert code_of(decide, "abc", approve=True, staff="bob@example.com") == "NOT_FOUND"
    assert Withdrawal.objects.get(pk=first.pk).status == "approved"
    assert balance(member, AccountKind.WALLET) == D("30.00")
    assert audit_channel(channel) == []


def test_staff_adjust_wallets_and_points_but_never_below_zero(make_channel, make_user):
    channel = make_channel(points_expire_days=30)
    member = member_for(channel, make_user().pk)
    adjust = wallet.adjust
    txn = adjust(member, "wallet", D("12.50"), reason="late delivery", staff="ann", key="a1")
    assert (txn.kind, txn.memo, txn.key) == ("adjustment_wallet", "ann: late delivery", "a1")
    assert system(channel, AccountKind.PLATFORM) == D("-12.50")
    adjust(member, "wallet", D("-2.50"), reason="typo", staff="ann", key="a2")
    assert balance(member, AccountKind.WALLET) == D("10.00")
    assert code_of(adjust, member, "wallet", D("-10.01"), reason="", staff="ann", key="a3") == (
        "INSUFFICIENT_FUNDS"
    )
    assert code_of(adjust, member, "wallet", 0, reason="", staff="ann", key="a3") == (
        "INVALID_AMOUNT"
    )
    assert code_of(adjust, member, "wallet", "1", reason="", staff="ann", key="a1") == "DUPLICATE"

    adjust(member, "points", 300, reason="survey", staff="ann", key="p1")
    lot = PointLot.objects.get(member=member)
    assert (lot.points, (lot.expires_on - lot.earned_day).days) == (D(300), 30)
    adjust(member, "points", -120, reason="typo", staff="ann", key="p2")
    assert balance(member, AccountKind.POINTS) == D(180)
    assert PointLot.objects.get(member=member).remaining == D(180)
    assert code_of(adjust, member, "points", -181, reason="", staff="ann", key="p3") == (
        "INSUFFICIENT_FUNDS"
    )
    assert code_of(adjust, member, "points", "1.5", reason="", staff="ann", key="p3") == (
        "INVALID_AMOUNT"
    )
    with pytest.raises(ValueError, match="kind must be"):
        adjust(member, "energy", 1, reason="", staff="ann", key="e1")
    assert balance(member, AccountKind.POINTS) == D(180)
    assert audit_channel(channel) == []
