"""Honorary tiers: reached by contribution, granted by gift packages, kept in a history."""

import json
from decimal import Decimal as D

from saleor_dividend_plugin.channels import configure_channel
from saleor_dividend_plugin.models import TierChange

TIERS = [
    {"code": "member", "name": "Member", "min_contribution": "0"},
    {"code": "silver", "name": "Silver", "min_contribution": "100", "release_weight": "1.2"},
    {"code": "gold", "name": "Gold", "min_contribution": "1000", "release_weight": "1.5"},
    {"code": "platinum", "name": "Platinum", "min_contribution": "5000", "release_weight": "2"},
]
CONFIG = dict(
    tiers=json.dumps(TIERS),
    gift_package_product_types="gift-box",
    gift_package_tier="gold",
    dividend_enabled="false",
)


def history(member):
    return [
        (c.previous, c.tier, c.reason, c.order.number if c.order else None)
        for c in TierChange.objects.filter(member=member).order_by("pk")
    ]


def test_contribution_promotes_through_the_tiers_and_the_history_is_kept(make_shop, make_user):
    shop = make_shop(**CONFIG)
    alice = make_user()
    shop.order(alice, "60", number="A1")
    assert shop.member(alice).tier_code == "member"
    shop.order(alice, "40", number="A2")  # 100: silver
    shop.order(alice, "899.99", number="A3")  # 999.99: still silver
    assert shop.member(alice).tier_code == "silver"
    shop.order(alice, "0.01", number="A4")  # 1000: gold
    assert shop.member(alice).tier_code == "gold"
    assert history(shop.member(alice)) == [
        ("member", "silver", "contribution", "A2"),
        ("silver", "gold", "contribution", "A4"),
    ]


def test_a_gift_package_grants_its_tier_and_contribution_can_still_go_higher(make_shop, make_user):
    shop = make_shop(**CONFIG)
    bob = make_user()
    shop.order(bob, lines=[(D("20"), "gift-box")], number="B1")
    member = shop.member(bob)
    assert (member.tier_code, member.granted_tier_code) == ("gold", "gold")
    shop.order(bob, "4980", number="B2")  # 5000: platinum by contribution
    assert shop.member(bob).tier_code == "platinum"
    assert history(shop.member(bob)) == [
        ("member", "gold", "gift_package", "B1"),
        ("gold", "platinum", "contribution", "B2"),
    ]


def test_a_grant_made_while_the_tier_was_already_reached_outlives_a_refund(make_shop, make_user):
    shop = make_shop(**CONFIG)
    carol = make_user()
    big = shop.place(carol, "1000", number="C1")
    shop.pay(big)
    shop.order(carol, lines=[(D("10"), "gift-box")], number="C2")  # gold already: no change
    assert shop.member(carol).granted_tier_code == "gold"
    shop.refund(big, "1000")  # contribution 10, but the gift package still grants gold
    assert shop.member(carol).tier_code == "gold"
    assert history(shop.member(carol)) == [("member", "gold", "contribution", "C1")]


def test_refunding_the_gift_package_withdraws_the_grant(make_shop, make_user):
    shop = make_shop(**CONFIG)
    dave = make_user()
    shop.order(dave, "150", number="D1")
    gift = shop.place(dave, lines=[(D("50"), "gift-box")], number="D2")
    shop.pay(gift)
    shop.refund(gift, "20")  # partly refunded: the grant stands
    assert shop.member(dave).tier_code == "gold"
    shop.refund(gift, "30")
    member = shop.member(dave)
    assert (member.tier_code, member.granted_tier_code) == ("silver", "")
    assert history(member) == [
        ("member", "silver", "contribution", "D1"),
        ("silver", "gold", "gift_package", "D2"),
        ("gold", "silver", "refund", "D2"),
    ]


def test_a_partial_refund_can_drop_the_tier_reached_by_contribution(make_shop, make_user):
    shop = make_shop(**CONFIG)
    eve = make_user()
    order = shop.place(eve, "150", number="E1")
    shop.pay(order)
    shop.refund(order, "60.01")  # 89.99 left
    assert shop.member(eve).tier_code == "member"
    assert history(shop.member(eve))[-1] == ("silver", "member", "refund", "E1")


def test_reconfigured_tiers_re_rank_every_member(make_shop, make_user):
    shop = make_shop(**CONFIG)
    frank, grace, heidi = make_user(), make_user(), make_user()
    shop.order(frank, "150")  # silver
    shop.order(grace, "1200")  # gold
    shop.order(heidi, lines=[(D("5"), "gift-box")])  # gold by grant
    raised = [dict(t) for t in TIERS]
    raised[1]["min_contribution"] = "200"  # frank falls back to member
    raised[2]["min_contribution"] = "1100"  # grace stays gold
    configure_channel(shop.channel.slug, "USD", {**CONFIG, "tiers": json.dumps(raised)}, True)
    assert [shop.member(u).tier_code for u in (frank, grace, heidi)] == ["member", "gold", "gold"]
    assert history(shop.member(frank))[-1] == ("silver", "member", "configuration", None)
    assert TierChange.objects.filter(reason="configuration").count() == 1
