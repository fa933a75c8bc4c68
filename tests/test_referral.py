"""Referral (DESIGN §6): who may name a referrer, and what referrers receive, in exact cents."""

from decimal import Decimal as D

import pytest

from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.ledger import Accounts, post
from saleor_dividend_plugin.members import ReferralError, member_for, referrer_chain, set_referrer
from saleor_dividend_plugin.models import AccountKind, Member

REFERRAL = {
    "release_ratio": "0",
    "points_backing_ratio": "0",
    "dividend_ratio": "0.2",
    "referral_ratios": "0.05,0.02,0.01",
}


@pytest.fixture
def referral_shop(make_shop):
    def make(mode="chain", **values):
        return make_shop(**{**REFERRAL, "referral_mode": mode, **values})

    return make


def members(shop, make_user, count):
    users = [make_user() for _ in range(count)]
    return users, [member_for(shop.channel, user.pk) for user in users]


def chain_of_four(shop, make_user):
    """a referred b, b referred c, c referred d."""
    users, (a, b, c, d) = members(shop, make_user, 4)
    set_referrer(b, a.referral_code)
    set_referrer(c, b.referral_code)
    set_referrer(d, c.referral_code)
    return users, [Member.objects.get(pk=m.pk) for m in (a, b, c, d)]


def referral_state(channel):
    return list(
        Member.objects.filter(channel=channel)
        .order_by("pk")
        .values_list("pk", "referrer_id", "referrer_set_at")
    )


def refused(member, code, expected_code):
    before = referral_state(member.channel)
    with pytest.raises(ReferralError) as error:
        set_referrer(member, code)
    assert error.value.code == expected_code
    assert error.value.message
    assert referral_state(member.channel) == before


def test_chain_mode_pays_three_levels_to_their_wallets(referral_shop, make_user):
    shop = referral_shop("chain")
    (ua, ub, uc, ud), (a, b, c, d) = chain_of_four(shop, make_user)
    assert referrer_chain(d) == [c, b, a]
    assert referrer_chain(a) == []

    shop.order(ud, "123.45")
    # 5% to c, 2% to b, 1% to a, each rounded down; 20% to the pool.
    assert [shop.wallet(u) for u in (uc, ub, ua)] == [D("6.17"), D("2.46"), D("1.23")]
    assert shop.balance(None, AccountKind.DIVIDEND_POOL) == D("24.69")
    assert shop.balance(None, AccountKind.PLATFORM) == D("-34.55")

    shop.order(uc, "100")  # c has two levels above it: the third share is not paid
    assert [shop.wallet(u) for u in (ub, ua)] == [D("7.46"), D("3.23")]
    assert shop.wallet(ud) == D("44.69")  # d's entry got the carried 24.69 + 20.00
    assert shop.balance(None, AccountKind.PLATFORM) == D("-61.55")
    assert audit_channel(shop.channel) == []


def test_queue_mode_puts_the_referral_share_into_the_pool(referral_shop, make_user):
    shop = referral_shop("queue")
    (ua, ub, uc, ud), _ = chain_of_four(shop, make_user)
    shop.order(ud, "123.45")
    assert [shop.wallet(u) for u in (ua, ub, uc)] == [0, 0, 0]
    # 24.69 dividend + 6.17 + 2.46 + 1.23 referral shares
    assert shop.balance(None, AccountKind.DIVIDEND_POOL) == D("34.55")
    shop.order(ua, "10")  # a has no referrer: only its 2.00 dividend share is added
    assert shop.wallet(ud) == D("36.55")
    assert shop.balance(None, AccountKind.DIVIDEND_POOL) == 0
    assert audit_channel(shop.channel) == []


def test_referrer_set_while_the_first_order_is_unpaid_is_rewarded(referral_shop, make_user):
    shop = referral_shop("chain")
    referrer_user, customer = make_user(), make_user()
    referrer = member_for(shop.channel, referrer_user.pk)
    order = shop.place(customer, "80")  # creates the membership; nothing confirmed yet
    set_referrer(shop.member(customer), f"  {referrer.referral_code.lower()} ")
    shop.pay(order)
    assert shop.wallet(referrer_user) == D("4.00")


def test_self_referral_is_refused(referral_shop, make_user):
    shop = referral_shop()
    _, (a,) = members(shop, make_user, 1)
    refused(a, a.referral_code, "SELF_REFERRAL")


def test_cycles_are_refused(referral_shop, make_user):
    shop = referral_shop()
    _, (a, b, c) = members(shop, make_user, 3)
    set_referrer(b, a.referral_code)
    set_referrer(c, b.referral_code)
    a = Member.objects.get(pk=a.pk)
    refused(a, b.referral_code, "CYCLE")
    refused(a, c.referral_code, "CYCLE")


def test_chains_deeper_than_three_levels_are_refused(referral_shop, make_user):
    shop = referral_shop()
    _, (a, b, c, d) = chain_of_four(shop, make_user)
    _, (e,) = members(shop, make_user, 1)
    refused(e, d.referral_code, "DEPTH_EXCEEDED")  # e would have d, c, b, a above it
    set_referrer(e, c.referral_code)  # d, e are both third-level: allowed

    # The customers already referred count too: x has two levels below it (y, then z).
    _, (q, r, x, y, z) = members(shop, make_user, 5)
    set_referrer(r, q.referral_code)
    set_referrer(y, x.referral_code)
    set_referrer(z, y.referral_code)
    refused(Member.objects.get(pk=x.pk), r.referral_code, "DEPTH_EXCEEDED")  # z: y, x, r, q
    set_referrer(Member.objects.get(pk=x.pk), q.referral_code)  # z: y, x, q
    assert referrer_chain(Member.objects.get(pk=z.pk)) == [y, x, q]


def test_a_referrer_is_set_only_once(referral_shop, make_user):
    shop = referral_shop()
    _, (a, b, c) = members(shop, make_user, 3)
    set_referrer(b, a.referral_code)
    refused(Member.objects.get(pk=b.pk), c.referral_code, "ALREADY_SET")


def test_a_referrer_cannot_be_set_after_the_first_paid_order(referral_shop, make_user):
    shop = referral_shop()
    referrer_user, customer = make_user(), make_user()
    referrer = member_for(shop.channel, referrer_user.pk)
    shop.order(customer, "50")
    refused(shop.member(customer), referrer.referral_code, "TOO_LATE")
    assert shop.wallet(referrer_user) == 0


def test_unknown_codes_and_codes_of_other_channels_are_refused(referral_shop, make_shop, make_user):
    shop = referral_shop()
    other = make_shop(slug="other")
    user = make_user()
    stranger = member_for(other.channel, make_user().pk)
    customer = member_for(shop.channel, user.pk)
    refused(customer, "NOSUCHCODE", "NOT_FOUND")
    refused(customer, "", "NOT_FOUND")
    refused(customer, stranger.referral_code, "NOT_FOUND")


def test_a_refund_takes_back_the_same_share_of_the_referral_rewards(referral_shop, make_user):
    shop = referral_shop("chain")
    (ua, ub, uc, ud), (a, b, c, d) = chain_of_four(shop, make_user)
    order = shop.place(ud, "123.45")
    shop.pay(order)
    shop.refund(order, "23.45")  # 19% of the order: 1.17, 0.46 and 0.23 come back
    assert [shop.wallet(u) for u in (uc, ub, ua)] == [D("5.00"), D("2.00"), D("1.00")]

    # c has spent 4.00 of its wallet meanwhile: the rest of its reward is written off.
    accounts = Accounts(shop.channel)
    post(
        shop.channel,
        "c-spends",
        "gift_card",
        [
            (accounts.member(c, AccountKind.WALLET), D("-4.00")),
            (accounts.system(AccountKind.GIFT_CARDS), D("4.00")),
        ],
        day=shop.record(order).confirmed_day,
    )
    shop.refund(order, "100")
    assert [shop.wallet(u) for u in (uc, ub, ua)] == [0, 0, 0]
    assert shop.balance(None, AccountKind.WRITE_OFF) == D("-4.00")
    # The store is out of the dividend funding (DESIGN §5: pool funding is not reclaimed) and
    # of the 4.00 already spent, which the write-off records.
    assert shop.balance(None, AccountKind.PLATFORM) == D("-24.69")
    assert shop.balance(None, AccountKind.DIVIDEND_POOL) == D("24.69")
    assert audit_channel(shop.channel) == []

    before = shop.balance(None, AccountKind.PLATFORM)
    shop.deliver(order)  # a replayed refund event takes nothing twice
    assert shop.balance(None, AccountKind.PLATFORM) == before
