"""Referral graph attacks: cycles, self-referral, chains deeper than allowed, codes crafted to
confuse the lookup, and customers racing each other to name one another."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.members import (
    MAX_REFERRAL_DEPTH,
    ReferralError,
    member_for,
    referrer_chain,
    set_referrer,
)
from saleor_dividend_plugin.models import AccountKind, LedgerTransaction, Member

from .graphql.conftest import Api
from .tally import count

SET_REFERRER = """
mutation ($code: String!) {
  referrerSet(code: $code) { account { referralCode } errors { field code message } }
}"""


def referrers(channel) -> dict[int, int | None]:
    return dict(Member.objects.filter(channel=channel).values_list("pk", "referrer_id"))


def assert_graph_is_sound(channel):
    """No cycles, nobody their own referrer, no chain longer than the limit."""
    graph = referrers(channel)
    for start in graph:
        seen, current, depth = {start}, graph[start], 0
        while current is not None:
            assert current not in seen, f"cycle through {start}"
            seen.add(current)
            depth += 1
            current = graph[current]
        assert depth <= MAX_REFERRAL_DEPTH, f"chain of {depth} above {start}"


def new_members(channel, make_user, count):
    return [member_for(channel, make_user().pk) for _ in range(count)]


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(attempts=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=30))
def test_no_sequence_of_referrals_builds_a_cycle_or_a_deep_chain(make_channel, make_user, attempts):
    channel = make_channel(slug=f"graph-{make_user().pk}")
    people = new_members(channel, make_user, 7)
    for referred, referrer in attempts:
        count("referral attacks: links attempted")
        member = Member.objects.get(pk=people[referred].pk)
        before = referrers(channel)
        try:
            set_referrer(member, people[referrer].referral_code)
        except ReferralError as refused:
            assert referrers(channel) == before
            if referred == referrer and before[member.pk] is None:
                assert refused.code == "SELF_REFERRAL"
        else:
            assert before[member.pk] is None and referred != referrer
        assert_graph_is_sound(channel)


def test_a_ring_of_four_cannot_be_closed_from_either_end(make_channel, make_user):
    channel = make_channel()
    a, b, c, d = new_members(channel, make_user, 4)
    set_referrer(b, a.referral_code)
    set_referrer(c, b.referral_code)
    set_referrer(d, c.referral_code)
    for code in (b.referral_code, c.referral_code, d.referral_code):
        with pytest.raises(ReferralError) as refused:
            set_referrer(Member.objects.get(pk=a.pk), code)
        assert refused.value.code == "CYCLE"
    assert referrers(channel)[a.pk] is None
    assert_graph_is_sound(channel)


@pytest.mark.parametrize(
    "code",
    [
        "' OR '1'='1",
        "%",
        "_" * 8,
        "A" * 32,
        "\x00",
        "\ud800",
        "ＡＢＣＤ",
        "abcd efgh",
    ],
)
def test_crafted_codes_match_nobody_and_change_nothing(client, make_channel, make_user, code):
    channel = make_channel()
    api = Api(client, channel)
    [owner] = new_members(channel, make_user, 1)
    customer = make_user()
    body = api(SET_REFERRER, {"code": code}, user=customer)
    assert api.status == 200
    assert body["data"]["referrerSet"]["account"] is None
    [error] = body["data"]["referrerSet"]["errors"]
    assert (error["field"], error["code"]) in {("code", "NOT_FOUND"), ("code", "INVALID")}
    assert set(referrers(channel).values()) == {None}
    assert owner.referral_code not in str(body)


def test_a_code_is_matched_whatever_its_case_and_spacing_but_only_in_its_channel(
    client, make_channel, make_user
):
    web, outlet = make_channel(), make_channel(slug="outlet", currency="EUR")
    [owner] = new_members(web, make_user, 1)
    customer = make_user()
    api = Api(client, outlet)
    body = api(SET_REFERRER, {"code": owner.referral_code}, user=customer)
    assert body["data"]["referrerSet"]["errors"][0]["code"] == "NOT_FOUND"
    api = Api(client, web)
    code = f"  {owner.referral_code.lower()} "
    body = api(SET_REFERRER, {"code": code}, user=customer)
    assert body["data"]["referrerSet"] == {
        "account": {"referralCode": member_for(web, customer.pk).referral_code},
        "errors": [],
    }
    assert referrers(web)[member_for(web, customer.pk).pk] == owner.pk
    assert set(referrers(outlet).values()) == {None}


def race(*calls):
    """Runs each call in its own thread and database connection, all released at once; returns
    each one's ReferralError code, or None when it succeeded."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            call()
        except ReferralError as refused:
            outcomes[i] = refused.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_customers_naming_each_other_at_once_cannot_form_a_cycle(make_channel, make_user):
    channel = make_channel()
    for _ in range(4):
        a, b = new_members(channel, make_user, 2)
        outcomes = race(
            lambda a=a, b=b: set_referrer(a, b.referral_code),
            lambda a=a, b=b: set_referrer(b, a.referral_code),
        )
        assert sorted(outcomes, key=str) == ["CYCLE", None]
    # Three at once around a triangle: at most two of the three links can be made.
    for _ in range(2):
        a, b, c = new_members(channel, make_user, 3)
        outcomes = race(
            lambda a=a, b=b: set_referrer(a, b.referral_code),
            lambda b=b, c=c: set_referrer(b, c.referral_code),
            lambda a=a, c=c: set_referrer(c, a.referral_code),
        )
        assert sorted(outcomes, key=str) == ["CYCLE", None, None]
    assert_graph_is_sound(channel)


@pytest.mark.django_db(transaction=True)
def test_two_links_that_are_each_allowed_cannot_together_exceed_the_depth(make_channel, make_user):
    # a referred b and c referred d. Alone, "c names b" gives d the chain c, b, a (3 levels) and
    # "a names z" gives b the chain a, z; together d would sit four levels below z.
    channel = make_channel()
    for _ in range(3):
        a, b, c, d, z = new_members(channel, make_user, 5)
        set_referrer(b, a.referral_code)
        set_referrer(d, c.referral_code)
        outcomes = race(
            lambda b=b, c=c: set_referrer(c, b.referral_code),
            lambda a=a, z=z: set_referrer(a, z.referral_code),
        )
        assert sorted(outcomes, key=str) == ["DEPTH_EXCEEDED", None]
        assert len(referrer_chain(Member.objects.get(pk=d.pk))) <= MAX_REFERRAL_DEPTH
    assert_graph_is_sound(channel)


def test_a_chain_at_the_limit_pays_its_three_levels_and_grows_no_further(make_shop, make_user):
    shop = make_shop(release_ratio="0", points_backing_ratio="0", dividend_enabled="false")
    users = [make_user() for _ in range(4)]
    people = [member_for(shop.channel, user.pk) for user in users]
    for referred, referrer in zip(people[1:], people, strict=False):
        set_referrer(referred, referrer.referral_code)
    buyer = make_user()
    with pytest.raises(ReferralError) as refused:
        set_referrer(member_for(shop.channel, buyer.pk), people[3].referral_code)
    assert refused.value.code == "DEPTH_EXCEEDED"
    shop.order(users[3], "100.00")
    wallets = [shop.wallet(user) for user in users]
    # 5% + 2% + 1% to the three levels above the buyer.
    assert wallets == [D("1.00"), D("2.00"), D("5.00"), D("0.00")]
    assert shop.balance(None, AccountKind.PLATFORM) == D("-8.00")
    assert LedgerTransaction.objects.filter(kind="order_funding").count() == 1
    assert audit_channel(shop.channel) == []
