"""The daily release: budget, unit value, energy caps, rounding down and carry-over, exactly."""

import datetime
import json
from decimal import Decimal as D

from django.db import transaction

from saleor_dividend_plugin import settlement
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.ledger import Accounts, channel_day, open_member_accounts, post
from saleor_dividend_plugin.locks import lock_channel
from saleor_dividend_plugin.members import new_referral_code
from saleor_dividend_plugin.models import (
    AccountKind,
    Member,
    OrderRecord,
    OrderStatus,
    Release,
    SettlementDay,
)
from saleor_dividend_plugin.money import CONTRIBUTION, ENERGY
from saleor_dividend_plugin.release import run_release

TIERS = json.dumps(
    [
        {"code": "member", "name": "Member", "min_contribution": "0", "release_weight": "1"},
        {"code": "gold", "name": "Gold", "min_contribution": "5000", "release_weight": "2"},
    ]
)
# The README's worked example.
EXAMPLE = dict(
    tiers=TIERS,
    release_ratio="0.1",
    energy_multiplier="0.05",
    gift_package_energy_multiplier=2,
    gift_package_product_types="gift-box",
    gift_package_tier="gold",
    dividend_enabled="false",
)


def release(channel, day):
    with transaction.atomic():
        lock_channel(channel.pk)
        return run_release(channel, day, f"ch:{channel.pk}:day:{day}:release")


def new_member(channel, tier_code="member"):
    member = Member.objects.create(
        channel=channel, user=None, referral_code=new_referral_code(), tier_code=tier_code
    )
    open_member_accounts(channel, [member])
    return member


def fund(channel, day, amount, key):
    """What confirmed orders of `day` put into the release pool."""
    accounts = Accounts(channel)
    legs = [
        (accounts.system(AccountKind.PLATFORM), -amount),
        (accounts.system(AccountKind.RELEASE_POOL), amount),
    ]
    post(channel, key, "order_funding", legs, day=day)


def give(member, energy, contribution, day, key):
    accounts = Accounts(member.channel)
    legs = [
        (accounts.member(member, AccountKind.ENERGY), energy),
        (accounts.system(AccountKind.ENERGY_ISSUED, ENERGY), -energy),
        (accounts.member(member, AccountKind.CONTRIBUTION), contribution),
        (accounts.system(AccountKind.CONTRIBUTION_ISSUED, CONTRIBUTION), -contribution),
    ]
    post(member.channel, key, "order_rewards", legs, day=day)


def balances(channel, member):
    accounts = Accounts(channel)
    return tuple(
        accounts.member(member, kind).balance for kind in (AccountKind.ENERGY, AccountKind.WALLET)
    )


def test_worked_example_capped_and_uncapped_members_and_the_carry_over(make_shop, make_user):
    shop = make_shop(**EXAMPLE)
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    shop.order(alice, lines=[(D("1000.00"), "gift-box")])  # energy 2000, gold by gift package
    shop.order(bob, "500.00")  # energy 25.00
    shop.order(carol, "100.00")  # energy 5.00
    channel, today = shop.channel, channel_day(shop.channel)
    assert shop.balance(None, AccountKind.RELEASE_POOL) == D("160.00")

    result = release(channel, today)
    # u = 160 / (1000 x 2 + 500 x 1 + 100 x 1) = 160 / 2600, truncated to 20 places
    unit = D("0.06153846153846153846")
    assert (result.budget, result.unit_value) == (D("160.00"), unit)
    rows = {r.member.user: r for r in Release.objects.filter(channel=channel, day=today)}
    figures = {
        user.username.split("-")[0]: (r.contribution, r.weight, r.energy, r.amount)
        for user, r in rows.items()
    }
    assert figures == {
        "alice": (D("1000.00"), D(2), D("2000.00"), D("123.07")),  # 123.0769... uncapped
        "bob": (D("500.00"), D(1), D("25.00"), D("25.00")),  # 30.76 capped by energy
        "carol": (D("100.00"), D(1), D("5.00"), D("5.00")),  # 6.15 capped by energy
    }
    assert {r.unit_value for r in rows.values()} == {unit}
    assert (result.released, result.members_paid) == (D("153.07"), 3)
    assert balances(channel, shop.member(alice)) == (D("1876.93"), D("123.07"))
    assert balances(channel, shop.member(bob)) == (0, D("25.00"))
    assert shop.balance(None, AccountKind.RELEASE_POOL) == D("6.93")

    # The next day has no revenue: the carry-over goes to the only member with energy left.
    tomorrow = today + datetime.timedelta(days=1)
    result = release(channel, tomorrow)
    assert (result.budget, result.released, result.members_paid) == (D("6.93"), D("6.93"), 1)
    assert balances(channel, shop.member(alice)) == (D("1870.00"), D("130.00"))
    assert shop.balance(None, AccountKind.RELEASE_POOL) == 0
    assert audit_channel(channel) == []


def test_a_replayed_release_posts_nothing_and_reports_what_was_released(channel):
    day = datetime.date(2026, 4, 1)
    alice, bob = new_member(channel), new_member(channel)
    fund(channel, day, D("10.00"), "fund-1")
    give(alice, D("100.00"), D("30.00"), day, "alice")
    give(bob, D("100.00"), D("70.00"), day, "bob")
    first = release(channel, day)
    assert (first.budget, first.released, first.members_paid) == (D("10.00"), D("10.00"), 2)
    assert balances(channel, alice) == (D("97.00"), D("3.00"))
    again = release(channel, day)
    assert again == first
    assert balances(channel, alice) == (D("97.00"), D("3.00"))
    assert Release.objects.filter(channel=channel).count() == 2


def test_the_budget_is_funding_up_to_the_day_and_waits_for_members_with_energy(channel):
    day = datetime.date(2026, 4, 1)
    fund(channel, day - datetime.timedelta(days=1), D("4.00"), "fund-0")
    fund(channel, day, D("6.00"), "fund-1")
    # Confirmed after midnight, before the settlement of `day` ran: the next day's budget.
    fund(channel, day + datetime.timedelta(days=1), D("90.00"), "fund-2")
    nobody = release(channel, day)
    assert (nobody.budget, nobody.released, nobody.members_paid) == (D("10.00"), 0, 0)
    alice = new_member(channel)
    give(alice, D("500.00"), D("1.00"), day, "alice")
    result = release(channel, day + datetime.timedelta(days=1))
    assert (result.budget, result.released) == (D("100.00"), D("100.00"))
    assert balances(channel, alice) == (D("400.00"), D("100.00"))


def test_rounding_down_leaves_the_remainder_in_the_pool(channel):
    day = datetime.date(2026, 4, 1)
    fund(channel, day, D("1.00"), "fund")
    members = [new_member(channel) for _ in range(3)]
    for i, member in enumerate(members):
        give(member, D("5.00"), D("1.00"), day, f"m{i}")
    result = release(channel, day)
    # 1.00 / 3 = 0.333... each, rounded down to 0.33: one cent stays for tomorrow.
    assert (result.released, result.members_paid) == (D("0.99"), 3)
    assert Accounts(channel).system(AccountKind.RELEASE_POOL).balance == D("0.01")
    assert [balances(channel, m)[1] for m in members] == [D("0.33")] * 3


def test_shares_that_come_out_even_are_paid_in_full(channel):
    day = datetime.date(2026, 4, 1)
    fund(channel, day, D("40.00"), "fund")
    alice, bob = new_member(channel), new_member(channel)
    give(alice, D("900.00"), D("300.00"), day, "alice")
    give(bob, D("900.00"), D("300.00"), day, "bob")
    result = release(channel, day)
    # u = 40 / 600 = 0.0666... has no exact decimal form; each share is 300 x 40 / 600 = 20.
    assert result.unit_value == D("0.06666666666666666666")
    assert (result.released, balances(channel, alice)[1]) == (D("40.00"), D("20.00"))


def test_a_tier_that_is_no_longer_configured_weighs_like_the_first_tier(make_channel):
    channel = make_channel(tiers=TIERS)
    day = datetime.date(2026, 4, 1)
    gone, gold = new_member(channel, tier_code="diamond"), new_member(channel, tier_code="gold")
    fund(channel, day, D("30.00"), "fund")
    give(gone, D("100.00"), D("10.00"), day, "gone")
    give(gold, D("100.00"), D("10.00"), day, "gold")
    release(channel, day)
    assert balances(channel, gone)[1] == D("10.00")
    assert balances(channel, gold)[1] == D("20.00")


def test_the_daily_settlement_releases_a_past_day_once(channel):
    yesterday = channel_day(channel) - datetime.timedelta(days=1)
    # A guest's order paid yesterday (guests earn nothing; its funding is posted below).
    OrderRecord.objects.create(
        channel=channel,
        order_id="guest-1",
        status=OrderStatus.CONFIRMED,
        amount=D("123.40"),
        confirmed_day=yesterday,
    )
    alice = new_member(channel)
    fund(channel, yesterday, D("12.34"), "fund")
    give(alice, D("10.00"), D("50.00"), yesterday, "alice")
    first = settlement.settle_day(channel, yesterday)
    assert (first.status, first.released, first.members_paid) == ("settled", D("10.00"), 1)
    day = SettlementDay.objects.get(channel=channel, day=yesterday)
    assert (day.revenue, day.budget, day.released) == (D("123.40"), D("12.34"), D("10.00"))
    assert settlement.settle_day(channel, yesterday).status == "already settled"
    assert balances(channel, alice) == (0, D("10.00"))
    assert Accounts(channel).system(AccountKind.RELEASE_POOL).balance == D("2.34")
    assert audit_channel(channel) == []
