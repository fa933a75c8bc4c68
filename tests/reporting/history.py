"""A small channel whose history is known, for the report tests and the report page."""

import datetime

import pytest

from saleor_dividend_plugin import points, wallet
from saleor_dividend_plugin.members import member_for, set_referrer
from saleor_dividend_plugin.settlement import settle_day

DAY1 = datetime.date(2026, 3, 2)


def at(day: int, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(
        DAY1 + datetime.timedelta(days=day - 1), datetime.time(hour), tzinfo=datetime.UTC
    )


@pytest.fixture
def known_history(make_shop, make_user, clock):
    """Three days of a small channel whose every figure is worked out by hand in
    tests/reporting/test_live_report.py; the clock stops on the morning of day 3."""
    shop = make_shop(
        slug="known",
        dividend_ratio="0.5",
        free_ratio="0.5",
        referral_ratios="0.1",
        release_ratio="0.1",
        points_backing_ratio="0.1",
        energy_multiplier="1",
        withdrawals_enabled="true",
    )
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    clock.set(at(1, 9))
    set_referrer(member_for(shop.channel, bob.pk), member_for(shop.channel, alice.pk).referral_code)
    clock.set(at(1, 10))
    shop.order(alice, 100)
    clock.set(at(1, 12))
    bob_order = shop.place(bob, 40)
    shop.pay(bob_order)
    clock.set(at(2, 0) + datetime.timedelta(minutes=30))
    settle_day(shop.channel, DAY1)
    clock.set(at(2, 10))
    shop.cancel(shop.place(carol, 60))
    clock.set(at(2, 11))
    shop.refund(bob_order, 40)
    clock.set(at(2, 12))
    points.redeem(shop.member(alice), 100, key="alice-redeems")
    clock.set(at(2, 13))
    wallet.request_withdrawal(shop.member(alice), "20", "IBAN DE00", key="alice-withdraws")
    clock.set(at(2, 14))
    shop.order(carol, 30)
    clock.set(at(3, 0) + datetime.timedelta(minutes=30))
    settle_day(shop.channel, DAY1 + datetime.timedelta(days=1))
    clock.set(at(3, 9))
    return shop
