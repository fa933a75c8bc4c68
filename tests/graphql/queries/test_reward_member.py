"""`rewardMember`: staff with MANAGE_ORDERS look up any member of the channel."""

from graphql_relay import to_global_id

from saleor_dividend_plugin import members

from ..conftest import account_id, error_codes

LOOKUP = """
query Lookup($id: ID, $email: String) {
  rewardMember(id: $id, email: $email) { id email points wallet { amount } }
}
"""


def test_staff_look_members_up_by_id_or_email(api, rewarded, make_staff):
    clerk = make_staff("MANAGE_ORDERS")
    expected = {
        "id": account_id(rewarded),
        "email": "alice@example.com",
        "points": "100",
        "wallet": {"amount": "40.00"},
    }
    assert api.data(LOOKUP, {"id": account_id(rewarded)}, user=clerk)["rewardMember"] == expected
    by_email = api.data(LOOKUP, {"email": " Alice@Example.com"}, user=clerk)["rewardMember"]
    assert by_email == expected
    assert api.data(LOOKUP, {"email": "nobody@example.com"}, user=clerk) == {"rewardMember": None}


def test_members_of_other_channels_are_not_found(api, rewarded, make_staff, make_channel):
    outlet = make_channel("outlet")
    clerk = make_staff("MANAGE_ORDERS")
    lookup = {"id": account_id(rewarded)}
    assert api.data(LOOKUP, lookup, user=clerk, channel=outlet) == {"rewardMember": None}
    elsewhere = members.member_for(outlet, rewarded.user_id)
    assert api.data(LOOKUP, {"id": account_id(elsewhere)}, user=clerk) == {"rewardMember": None}


def test_customers_and_staff_without_manage_orders_are_refused(
    api, rewarded, customer, make_staff, make_user
):
    bob = members.member_for(rewarded.channel, make_user("bob").pk)
    crafted = [account_id(rewarded), account_id(bob), to_global_id("RewardAccount", "1")]
    for user in (None, customer, make_staff(), make_staff("MANAGE_GIFT_CARD")):
        for lookup in [{"id": i} for i in crafted] + [{"email": "alice@example.com"}]:
            body = api(LOOKUP, lookup, user=user)
            assert error_codes(body) == ["PermissionDenied"], (user, lookup)
            assert body["data"] == {"rewardMember": None}


def test_ids_of_other_types_and_bad_arguments_are_errors(api, rewarded, make_staff):
    clerk = make_staff("MANAGE_ORDERS")
    for lookup, message in (
        ({"id": to_global_id("QueueEntry", rewarded.pk)}, "Not a RewardAccount ID"),
        ({"id": "%%%"}, "Not a RewardAccount ID"),
        ({}, "Give either `id` or `email`."),
        ({"id": account_id(rewarded), "email": "a@b.c"}, "Give either `id` or `email`."),
    ):
        body = api(LOOKUP, lookup, user=clerk)
        assert body["data"] == {"rewardMember": None}
        assert body["errors"][0]["message"].startswith(message), lookup
