"""Who may call what: every query and mutation of the schema, for every kind of caller.

The matrix below must name every root field of the schema (a new field without a row fails
`test_the_matrix_covers_the_whole_schema`). A refused call answers PermissionDenied and moves
nothing; an allowed one is never refused for want of a permission. Data of another channel or
another customer is never reachable through IDs or emails.
"""

import datetime
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission

from saleor_dividend_plugin import wallet
from saleor_dividend_plugin.graphql.schema import schema

from .conftest import Shop
from .graphql.conftest import (
    Api,
    account_id,
    error_codes,
    ledger_state,
    staff_group,
    withdrawal_id,
)
from .test_wallet import GiftCardHost

ROLES = (
    "anonymous",
    "customer",
    "other_customer",
    "customer_with_staff_permissions",
    "staff_without_permissions",
    "manage_orders",
    "manage_gift_card",
    "superuser",
    # Channel restrictions of permission groups, as Saleor has them.
    "both_permissions_restricted_to_this_channel",
    "both_permissions_restricted_to_another_channel",
    "both_permissions_without_a_group",
    "superuser_without_a_group",
)
SIGNED_IN = set(ROLES) - {"anonymous"}
ORDERS = {"manage_orders", "superuser", "both_permissions_restricted_to_this_channel"}
GIFT_CARDS = {"manage_gift_card", "superuser", "both_permissions_restricted_to_this_channel"}

# Root field -> (operation, variables from the store, roles allowed).
MATRIX = {
    "rewardAccount": ("{ rewardAccount { points } }", lambda s: {}, set(ROLES)),
    "dividendPool": ("{ dividendPool { queueLength } }", lambda s: {}, set(ROLES)),
    "rewardTiers": ("{ rewardTiers { code } }", lambda s: {}, set(ROLES)),
    "rewardProgram": ("{ rewardProgram { currency } }", lambda s: {}, set(ROLES)),
    "pointValue": ("{ pointValue { currency } }", lambda s: {}, set(ROLES)),
    "pointValueHistory": (
        "{ pointValueHistory(first: 5) { edges { node { day } } } }",
        lambda s: {},
        set(ROLES),
    ),
    "rewardMember": (
        "query ($id: ID) { rewardMember(id: $id) { points } }",
        lambda s: {"id": s["account"]},
        ORDERS,
    ),
    "rewardReport": (
        "{ rewardReport(days: 7) { paidOrders days { date } } }",
        lambda s: {},
        ORDERS,
    ),
    "rewardWithdrawals": (
        "{ rewardWithdrawals(first: 5) { edges { node { status } } } }",
        lambda s: {},
        GIFT_CARDS,
    ),
    "pointsRedeem": (
        "mutation { pointsRedeem(points: 1) { errors { code } } }",
        lambda s: {},
        SIGNED_IN,
    ),
    "walletConvertToGiftCard": (
        'mutation { walletConvertToGiftCard(amount: "0.01") { errors { code } } }',
        lambda s: {},
        SIGNED_IN,
    ),
    "withdrawalRequest": (
        'mutation { withdrawalRequest(amount: "1", details: "IBAN") { errors { code } } }',
        lambda s: {},
        SIGNED_IN,
    ),
    "referrerSet": (
        "mutation ($code: String!) { referrerSet(code: $code) { errors { code } } }",
        lambda s: {"code": s["code"]},
        SIGNED_IN,
    ),
    "rewardAccountAdjust:POINTS": (
        "mutation ($id: ID!) { rewardAccountAdjust(id: $id, kind: POINTS, amount: 1,"
        ' reason: "survey") { errors { code } } }',
        lambda s: {"id": s["account"]},
        ORDERS,
    ),
    "rewardAccountAdjust:WALLET": (
        "mutation ($id: ID!) { rewardAccountAdjust(id: $id, kind: WALLET, amount: 1,"
        ' reason: "late parcel") { errors { code } } }',
        lambda s: {"id": s["account"]},
        GIFT_CARDS,
    ),
    "withdrawalApprove": (
        "mutation ($id: ID!) { withdrawalApprove(id: $id) { errors { code } } }",
        lambda s: {"id": s["withdrawal"]},
        GIFT_CARDS,
    ),
    "withdrawalReject": (
        'mutation ($id: ID!) { withdrawalReject(id: $id, reason: "no") { errors { code } } }',
        lambda s: {"id": s["withdrawal"]},
        GIFT_CARDS,
    ),
    "settlementRun": (
        "mutation ($day: Date!) { settlementRun(day: $day) { errors { code } } }",
        lambda s: {"day": s["yesterday"]},
        ORDERS,
    ),
}


@pytest.fixture
def store(client, make_channel, make_user, settings, clock):
    settings.DIVIDEND_HOST = f"{GiftCardHost.__module__}.GiftCardHost"
    channel = make_channel(withdrawals_enabled="true", min_withdrawal="1")
    shop = Shop(channel)
    alice = make_user("alice")
    clock.advance(days=-1)
    shop.order(alice, 100)
    shop.order(make_user("bob"), 100)
    clock.advance(days=1)
    member = shop.member(alice)
    waiting = wallet.request_withdrawal(member, D(5), "IBAN DE00", key="seed")

    def staff(*codenames, is_staff=True, superuser=False, channels=None, grouped=True):
        user = make_user("staff", is_staff=is_staff, is_superuser=superuser)
        if grouped:
            user.groups.add(staff_group(*codenames, channels=channels))
        else:
            for codename in codenames:
                user.user_permissions.add(
                    Permission.objects.get(codename=codename, content_type__app_label="store")
                )
        return user

    both = ("manage_orders", "manage_gift_card")
    callers = {
        "anonymous": None,
        "customer": alice,
        "other_customer": make_user("carol"),
        "customer_with_staff_permissions": staff(*both, is_staff=False),
        "staff_without_permissions": staff(),
        "manage_orders": staff("manage_orders"),
        "manage_gift_card": staff("manage_gift_card"),
        "superuser": staff(superuser=True),
        "both_permissions_restricted_to_this_channel": staff(*both, channels=["outlet", "web"]),
        "both_permissions_restricted_to_another_channel": staff(*both, channels=["outlet"]),
        "both_permissions_without_a_group": staff(*both, grouped=False),
        "superuser_without_a_group": staff(superuser=True, grouped=False),
    }
    return {
        "api": Api(client, channel),
        "callers": callers,
        "account": account_id(member),
        "withdrawal": withdrawal_id(waiting),
        "code": member.referral_code,
        "yesterday": (clock.now.date() - datetime.timedelta(days=1)).isoformat(),
    }


def root_fields():
    return set(schema.get_query_type().fields) | set(schema.get_mutation_type().fields)


def test_the_matrix_covers_the_whole_schema():
    assert {row.split(":")[0] for row in MATRIX} == root_fields()


def test_each_caller_gets_exactly_what_its_permissions_allow(store):
    api = store["api"]
    granted = {}
    for row, (query, variables, _) in sorted(MATRIX.items()):
        granted[row] = set()
        for role in ROLES:
            before = ledger_state()
            body = api(query, variables(store), user=store["callers"][role])
            assert api.status == 200, (row, role, body)
            if "PermissionDenied" in error_codes(body):
                assert ledger_state() == before, (row, role)
                assert list(body["data"].values()) == [None], (row, role)
            else:
                assert "errors" not in body, (row, role, body)
                granted[row].add(role)
    assert granted == {row: allowed for row, (_, _, allowed) in MATRIX.items()}


def test_another_channel_and_another_customer_stay_out_of_reach(store, make_channel, client):
    outlet = make_channel(slug="outlet", currency="EUR", withdrawals_enabled="true")
    api = Api(client, outlet)
    superuser = store["callers"]["superuser"]
    alice = store["callers"]["customer"]
    before = ledger_state()
    member = api.data(
        "query ($id: ID, $email: String) { a: rewardMember(id: $id) { points }"
        " b: rewardMember(email: $email) { points } }",
        {"id": store["account"], "email": alice.email},
        user=superuser,
    )
    assert member == {"a": None, "b": None}
    decided = api.data(
        "mutation ($id: ID!) { withdrawalApprove(id: $id) { errors { field code } } }",
        {"id": store["withdrawal"]},
        user=superuser,
    )
    assert decided["withdrawalApprove"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    adjusted = api.data(
        "mutation ($id: ID!) { rewardAccountAdjust(id: $id, kind: WALLET, amount: 1,"
        ' reason: "x") { errors { field code } } }',
        {"id": store["account"]},
        user=superuser,
    )
    assert adjusted["rewardAccountAdjust"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    listed = api.data("{ rewardWithdrawals(first: 5) { edges { node { id } } } }", user=superuser)
    assert listed == {"rewardWithdrawals": {"edges": []}}
    # Alice has no account in the outlet, and in her own channel sees only her own.
    assert api.data("{ rewardAccount { points } }", user=alice) == {
        "rewardAccount": {"points": "0"}
    }
    carol = store["callers"]["other_customer"]
    own = store["api"].data("{ rewardAccount { referralCode } }", user=carol)
    assert own["rewardAccount"]["referralCode"] != store["code"]
    assert ledger_state() == before


def test_staff_restricted_to_other_channels_are_told_which_channel(store):
    api = store["api"]
    before = ledger_state()
    query, variables, _ = MATRIX["rewardAccountAdjust:WALLET"]
    for role in ("both_permissions_restricted_to_another_channel", "superuser_without_a_group"):
        body = api(query, variables(store), user=store["callers"][role])
        assert body == {
            "errors": [
                {
                    "message": "You do not have access to the web channel.",
                    "locations": [{"line": 1, "column": 23}],
                    "path": ["rewardAccountAdjust"],
                    "extensions": {"exception": {"code": "PermissionDenied"}},
                }
            ],
            "data": {"rewardAccountAdjust": None},
        }
    assert ledger_state() == before
