"""Points: earning, what a point is worth day by day, redemption, lots and expiry, refunds."""

import datetime
import json
from decimal import Decimal as D

import pytest

from saleor_dividend_plugin import points
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.ledger import Accounts, channel_day
from saleor_dividend_plugin.models import AccountKind, PointLot, PointValue
from saleor_dividend_plugin.money import POINTS
from saleor_dividend_plugin.points import RedemptionError

TIERS = json.dumps(
    [
        {
            "code": "member",
            "name": "Member",
            "min_contribution": "0",
            "release_weight": "1",
            "points_multiplier": "1",
        },
        {
            "code": "silver",
            "name": "Silver",
            "min_contribution": "100",
            "release_weight": "1.5",
            "points_multiplier": "1.5",
        },
        {
            "code": "gold",
            "name": "Gold",
            "min_contribution": "1000",
            "release_weight": "2",
            "points_multiplier": "2",
        },
    ]
)
DAY = datetime.date(2026, 3, 1)


def _day(n):
    return DAY + datetime.timedelta(days=n)


def _redeem_error(member, amount, key="r"):
    with pytest.raises(RedemptionError) as caught:
        points.redeem(member, amount, key=key)
    return caught.value.code


def test_points_are_earned_with_the_tier_multiplier_of_the_member(make_shop, make_user):
    shop = make_shop(tiers=TIERS, points_per_unit=2, dividend_enabled="false")
    alice = make_user()
    shop.order(alice, "100.00")
    # Earned at her tier when the order was paid (member, x1); the order makes her silver.
    assert shop.balance(alice, AccountKind.POINTS) == D(200)
    assert shop.member(alice).tier_code == "silver"
    record = shop.order(alice, "50.55")
    assert record.points == D(151)  # floor(50.55 x 2 x 1.5) = floor(151.65)
    assert shop.balance(alice, AccountKind.POINTS) == D(351)
    assert shop.balance(None, AccountKind.POINTS_ISSUED) == D(-351)
    assert [
        lot.points for lot in PointLot.objects.filter(member=shop.member(alice)).order_by("pk")
    ] == [D(200), D(151)]


def test_energy_uses_the_gift_package_multiplier_for_gift_package_lines(make_shop, make_user):
    shop = make_shop(
        energy_multiplier=3,
        gift_package_energy_multiplier=5,
        gift_package_product_types="gift-box",
        dividend_enabled="false",
    )
    alice = make_user()
    record = shop.order(alice, lines=[(D("40.00"), "default"), (D("60.00"), "gift-box")])
    assert (record.amount, record.gift_amount) == (D("100.00"), D("60.00"))
    assert shop.balance(alice, AccountKind.ENERGY) == D("420.00")  # 40 x 3 + 60 x 5
    assert shop.balance(alice, AccountKind.CONTRIBUTION) == D("100.00")
    assert shop.balance(None, AccountKind.ENERGY_ISSUED) == D("-420.00")


def test_rate_mode_compounds_daily_up_to_the_cap(make_shop, make_user):
    shop = make_shop(
        point_value_mode="rate",
        point_value_initial="0.01",
        point_daily_appreciation="0.1",
        point_value_max="0.0125",
        points_backing_ratio="0.5",
        points_min_redemption=10,
        dividend_enabled="false",
    )
    alice = make_user()
    shop.order(alice, "100")
    values = [points.appreciate(shop.channel, _day(n)) for n in range(5)]
    assert [v.value for v in values] == [
        D("0.01"),
        D("0.011"),
        D("0.0121"),
        D("0.0125"),
        D("0.0125"),
    ]
    assert values[0].backing == D("50.00") and values[0].outstanding == D(100)
    assert points.point_value(shop.channel) == D("0.0125")
    assert points.redeem(shop.member(alice), 100, key="alice-1") == D("1.25")
    assert shop.wallet(alice) == D("1.25")
    assert shop.balance(None, AccountKind.POINTS_BACKING) == D("48.75")
    assert audit_channel(shop.channel) == []


def test_rate_mode_catches_up_a_missed_day_and_recomputes_a_day_in_place(make_shop, make_user):
    shop = make_shop(
        point_value_mode="rate",
        point_value_initial="0.01",
        point_daily_appreciation="0.1",
        point_value_max="1",
        points_backing_ratio="0.5",
    )
    shop.order(make_user(), "100")
    points.appreciate(shop.channel, _day(0))
    assert points.appreciate(shop.channel, _day(2)).value == D("0.0121")  # two days of growth
    assert points.appreciate(shop.channel, _day(2)).value == D("0.0121")  # a re-run, not a third
    assert PointValue.objects.filter(channel=shop.channel).count() == 2


def test_rate_mode_never_pays_more_than_the_backing_covers(make_shop, make_user):
    shop = make_shop(
        point_value_mode="rate",
        point_value_initial="0.01",
        point_daily_appreciation="0.1",
        point_value_max="0.05",
        points_backing_ratio="0.005",
        dividend_enabled="false",
    )
    alice = make_user()
    shop.order(alice, "100")  # 100 points, backing 0.50: 0.005 a point
    first, second = (
        points.appreciate(shop.channel, _day(0)),
        points.appreciate(shop.channel, _day(1)),
    )
    assert (first.value, first.scheduled_value) == (D("0.005"), D("0.01"))
    assert (second.value, second.scheduled_value) == (D("0.005"), D("0.011"))
    assert points.redeem(shop.member(alice), 100, key="alice-1") == D("0.50")
    assert shop.balance(None, AccountKind.POINTS_BACKING) == 0
    assert audit_channel(shop.channel) == []


def test_backed_mode_follows_backing_over_outstanding_points(make_shop, make_user):
    shop = make_shop(dividend_enabled="false")  # backed, 5% backing, 1 point per unit
    alice, bob = make_user(), make_user()
    shop.order(alice, "100")
    assert points.appreciate(shop.channel, _day(0)).value == D("0.05")
    bob_order = shop.place(bob, "300")
    shop.pay(bob_order)
    assert points.appreciate(shop.channel, _day(1)).value == D("0.05")  # 20.00 / 400
    # Half of Bob's order is refunded: 150 points go back, the backing stays.
    shop.refund(bob_order, "150")
    assert points.appreciate(shop.channel, _day(2)).value == D("0.08")  # 20.00 / 250
    assert points.redeem(shop.member(alice), 100, key="alice-1") == D("8.00")
    day3 = points.appreciate(shop.channel, _day(3))
    assert (day3.value, day3.backing, day3.outstanding) == (D("0.08"), D("12.00"), D(150))
    assert audit_channel(shop.channel) == []


def test_redemption_refuses_bad_amounts_and_rounds_down(make_shop, make_user):
    shop = make_shop(points_per_unit="1.5", points_min_redemption=10, dividend_enabled="false")
    alice = make_user()
    shop.order(alice, "100")  # 150 points, backing 5.00: 0.03333333 a point
    member = shop.member(alice)
    for bad in (0, -5, "100.5", D("12.5"), 1.5, "abc", "NaN", "Infinity", True, None):
        assert _redeem_error(member, bad) == "INVALID", bad
    assert _redeem_error(member, 9) == "BELOW_MINIMUM"
    with pytest.raises(RedemptionError, match="^You can redeem 150 points, not 151.$"):
        points.redeem(member, 151, key="r")
    assert points.redeem(member, "100", key="alice-1") == D("3.33")  # 3.333333 rounded down
    assert _redeem_error(member, 20, key="alice-1") == "DUPLICATE"
    assert shop.balance(alice, AccountKind.POINTS) == D(50)
    assert shop.balance(None, AccountKind.POINTS_BACKING) == D("1.67")
    # What rounding kept back stays in the backing for the points still held: 1.67 / 50.
    assert points.point_value(shop.channel) == D("0.0334")
    assert points.redeem(member, 50, key="alice-2") == D("1.67")
    assert shop.wallet(alice) == D("5.00")
    assert shop.balance(None, AccountKind.POINTS_BACKING) == 0
    assert audit_channel(shop.channel) == []


def test_points_without_backing_cannot_be_redeemed(make_shop, make_user):
    shop = make_shop(points_backing_ratio=0, dividend_enabled="false")
    alice = make_user()
    shop.order(alice, "200")
    assert _redeem_error(shop.member(alice), 100) == "WORTHLESS"
    assert shop.balance(alice, AccountKind.POINTS) == D(200)


def _three_lots(shop, user, today, last_days=(5, 2, None)):
    """Lots of 100, 50 and 20 points whose last days are `last_days` from today (None: never)."""
    for amount in ("100", "50", "20"):
        shop.order(user, amount)
    lots = list(PointLot.objects.filter(member=shop.member(user)).order_by("pk"))
    for lot, expires in zip(lots, last_days, strict=True):
        lot.expires_on = today + datetime.timedelta(days=expires) if expires else None
        lot.save(update_fields=["expires_on"])
    return lots


def _remaining(lots):
    return [PointLot.objects.get(pk=lot.pk).remaining for lot in lots]


def test_redemption_uses_the_soonest_expiring_points_and_expiry_burns_the_rest(
    make_shop, make_user
):
    shop = make_shop(points_expire_days=30, points_min_redemption=10, dividend_enabled="false")
    alice = make_user()
    today = channel_day(shop.channel)
    assert PointLot.objects.count() == 0
    lots = _three_lots(shop, alice, today)
    assert points.redeem(shop.member(alice), 60, key="alice-1") == D("3.00")
    assert _remaining(lots) == [D(90), D(0), D(20)]
    assert points.expire_points(shop.channel, today + datetime.timedelta(days=4)) == 0
    assert points.expire_points(shop.channel, today + datetime.timedelta(days=5)) == D(90)
    assert _remaining(lots) == [D(0), D(0), D(20)]
    assert shop.balance(alice, AccountKind.POINTS) == D(20)
    # The expired points' backing stays: 8.50 funded - 3.00 redeemed, for 20 points.
    assert points.point_value(shop.channel) == D("0.275")
    assert points.expire_points(shop.channel, today + datetime.timedelta(days=5)) == 0
    assert shop.balance(None, AccountKind.POINTS_ISSUED) == D(-20)
    assert audit_channel(shop.channel) == []


def test_points_past_their_last_day_cannot_be_redeemed_before_the_settlement_burns_them(
    make_shop, make_user
):
    shop = make_shop(points_expire_days=30, points_min_redemption=10, dividend_enabled="false")
    alice = make_user()
    today = channel_day(shop.channel)
    lots = _three_lots(shop, alice, today, last_days=(-1, 2, None))
    assert _redeem_error(shop.member(alice), 71) == "INSUFFICIENT"  # 50 + 20 are usable
    assert points.redeem(shop.member(alice), 70, key="alice-1") == D("3.50")
    assert _remaining(lots) == [D(100), D(0), D(0)]
    assert points.expire_points(shop.channel, today - datetime.timedelta(days=1)) == D(100)
    assert shop.balance(alice, AccountKind.POINTS) == 0
    assert audit_channel(shop.channel) == []


def test_refunds_reverse_points_energy_and_contribution_in_proportion(make_shop, make_user):
    shop = make_shop(points_per_unit="3.5", energy_multiplier=3, dividend_enabled="false")
    alice = make_user()
    order = shop.place(alice, "3.00")
    shop.pay(order)
    assert shop.record(order).points == D(10)  # floor(10.5)
    seen = []
    for _ in range(3):
        shop.refund(order, "1.00")
        seen.append(
            tuple(
                shop.balance(alice, kind)
                for kind in (AccountKind.POINTS, AccountKind.ENERGY, AccountKind.CONTRIBUTION)
            )
        )
    # Each refund reverses what the refunded total owes less what was already reversed, so
    # rounding never leaves a point behind: 3, then 3, then 4 points.
    assert seen == [(D(7), D("6.00"), D("2.00")), (D(4), D("3.00"), D("1.00")), (0, 0, 0)]
    assert PointLot.objects.get(member=shop.member(alice)).remaining == 0
    assert audit_channel(shop.channel) == []


def test_points_already_redeemed_when_the_order_is_refunded_do_not_devalue_the_others(
    make_shop, make_user
):
    shop = make_shop(dividend_enabled="false")
    alice, bob = make_user(), make_user()
    alice_order = shop.place(alice, "100")
    shop.pay(alice_order)
    shop.order(bob, "100")
    assert points.redeem(shop.member(alice), 100, key="alice-1") == D("5.00")
    shop.refund(alice_order, "100")
    # Alice's 100 points are due back but spent: written off, not taken from anyone else.
    assert Accounts(shop.channel).write_off(POINTS).balance == D(-100)
    assert shop.balance(alice, AccountKind.POINTS) == 0
    assert points.point_value(shop.channel) == D("0.05")  # Bob: 100 points, 5.00 backing
    assert points.redeem(shop.member(bob), 100, key="bob-1") == D("5.00")
    assert shop.balance(None, AccountKind.POINTS_BACKING) == 0
    assert audit_channel(shop.channel) == []
