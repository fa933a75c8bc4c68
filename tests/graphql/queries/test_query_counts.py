"""A page costs the same number of queries whether it holds 2 rows or 50."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from saleor_dividend_plugin import members, wallet
from saleor_dividend_plugin.models import Release

D = Decimal
ACCOUNT_PAGES = """
{
  rewardAccount {
    id points pointsWorth { amount } energy { amount } wallet { amount } tier { code }
    nextTier { code } contributionToNextTier { amount } referrerCode email
    queueEntries(first: 50) {
      totalCount edges { node { id orderNumber status position remaining { amount } } }
    }
    releases(first: 50) { totalCount edges { node { id day amount { amount } weight } } }
    history(first: 50) {
      totalCount edges { node { id kind account amount currency orderNumber memo day } }
    }
  }
}
"""
WITHDRAWALS_PAGE = """
{
  rewardWithdrawals(first: 50) {
    totalCount
    edges { node { id amount { amount } status
                   account { id email points wallet { amount } tier { code } referrerCode } } }
  }
}
"""


def queries(api, query, user) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        data = api.data(query, user=user)
    return len(captured.captured_queries), data


@pytest.fixture
def channel(make_channel):
    return make_channel(
        queue_max_entries_per_member="100", withdrawals_enabled="true", min_withdrawal="1"
    )


def add_activity(shop, user, orders: int, first_day: datetime.date):
    for _ in range(orders):
        shop.order(user, 10)
    member = shop.member(user)
    done = Release.objects.filter(member=member).count()
    Release.objects.bulk_create(
        Release(
            channel=shop.channel,
            day=first_day + datetime.timedelta(days=done + n),
            member=member,
            contribution=D(10),
            weight=D(1),
            energy=D(30),
            unit_value=D("0.1"),
            amount=D(1),
        )
        for n in range(orders)
    )


def test_an_account_page_costs_the_same_for_2_and_50_rows(api, shop, customer, make_user):
    referrer = members.member_for(shop.channel, make_user("ref").pk)
    members.set_referrer(members.member_for(shop.channel, customer.pk), referrer.referral_code)
    start = datetime.date(2026, 1, 1)

    add_activity(shop, customer, 2, start)
    small, data = queries(api, ACCOUNT_PAGES, customer)
    account = data["rewardAccount"]
    assert [len(account[c]["edges"]) for c in ("queueEntries", "releases")] == [2, 2]
    assert len(account["history"]["edges"]) < 50

    add_activity(shop, customer, 48, start)
    large, data = queries(api, ACCOUNT_PAGES, customer)
    account = data["rewardAccount"]
    assert [len(account[c]["edges"]) for c in ("queueEntries", "releases", "history")] == [
        50,
        50,
        50,
    ]
    assert account["referrerCode"] == referrer.referral_code
    # Channel, user, member, the channel's accounts (point value); 3 pages, each with its count,
    # the member's accounts before the history page and its postings after; then, batched:
    # balances, referrer, email.
    assert small == large == 12


def test_a_page_of_withdrawals_costs_the_same_for_2_and_50(api, channel, make_user, make_staff):
    cashier = make_staff("MANAGE_GIFT_CARD")

    def request(count):
        for _ in range(count):
            member = members.member_for(channel, make_user().pk)
            wallet.adjust(member, "wallet", D(20), reason="seed", staff="test", key=f"s{member.pk}")
            wallet.request_withdrawal(member, D(5), "IBAN", key=f"w{member.pk}")

    request(2)
    small, data = queries(api, WITHDRAWALS_PAGE, cashier)
    assert len(data["rewardWithdrawals"]["edges"]) == 2
    request(48)
    large, data = queries(api, WITHDRAWALS_PAGE, cashier)
    assert len(data["rewardWithdrawals"]["edges"]) == 50
    assert {
        e["node"]["account"]["wallet"]["amount"] for e in data["rewardWithdrawals"]["edges"]
    } == {"15.00"}
    # Channel, user, permissions (2), channel access; the page with its count; then, batched:
    # members, balances, emails.
    assert small == large == 9
