"""`rewardAccount`: the signed-in customer's own rewards, and nobody else's."""

import datetime

from saleor_dividend_plugin.models import Account, Member

from ..conftest import account_id

ACCOUNT = """
{
  rewardAccount {
    id email currency points pointValue pointsWorth { amount currency }
    energy { amount } contribution { amount } wallet { amount }
    tier { code name } nextTier { code } contributionToNextTier { amount }
    referralCode referrerCode
  }
}
"""
QUEUE = """
query Queue($statuses: [QueueEntryStatus!]) {
  rewardAccount {
    queueEntries(filter: {statuses: $statuses}) {
      totalCount
      edges { node { orderNumber status position target { amount } received { amount }
                     remaining { amount } originalTarget { amount } } }
    }
  }
}
"""
HISTORY = """
query History($first: Int, $after: String, $last: Int, $before: String,
              $filter: RewardHistoryFilterInput) {
  rewardAccount {
    history(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { kind account amount currency orderNumber } }
    }
  }
}
"""


def history(api, user, **variables):
    return api.data(HISTORY, variables, user=user)["rewardAccount"]["history"]


def test_a_customer_reads_their_account(api, rewarded, customer):
    assert api.data(ACCOUNT, user=customer)["rewardAccount"] == {
        "id": account_id(rewarded),
        "email": "alice@example.com",
        "currency": "USD",
        "points": "100",
        "pointValue": "0.05",
        "pointsWorth": {"amount": "5.00", "currency": "USD"},
        "energy": {"amount": "300.00"},
        "contribution": {"amount": "100.00"},
        "wallet": {"amount": "40.00"},
        "tier": {"code": "member", "name": "Member"},
        "nextTier": {"code": "silver"},
        "contributionToNextTier": {"amount": "400.00"},
        "referralCode": rewarded.referral_code,
        "referrerCode": None,
    }


def test_the_top_tier_has_nothing_next(api, shop, customer):
    shop.order(customer, 10000)
    account = api.data(ACCOUNT, user=customer)["rewardAccount"]
    assert account["tier"]["code"] == "platinum"
    assert (account["nextTier"], account["contributionToNextTier"]) == (None, None)


def test_a_customer_without_membership_sees_an_empty_account_and_nothing_is_created(
    api, rewarded, make_user
):
    members, accounts = Member.objects.count(), Account.objects.count()
    carol = make_user("carol")
    query = ACCOUNT.replace(
        "}\n}",
        "queueEntries { totalCount } history { totalCount }\n"
        "releases { totalCount } withdrawals { totalCount }\n"
        "giftCards { totalCount edges { cursor } } }\n}",
    )
    assert api.data(query, user=carol)["rewardAccount"] == {
        "id": None,
        "email": None,
        "currency": "USD",
        "points": "0",
        "pointValue": "0.05",
        "pointsWorth": {"amount": "0.00", "currency": "USD"},
        "energy": {"amount": "0.00"},
        "contribution": {"amount": "0.00"},
        "wallet": {"amount": "0.00"},
        "tier": {"code": "member", "name": "Member"},
        "nextTier": {"code": "silver"},
        "contributionToNextTier": {"amount": "500.00"},
        "referralCode": None,
        "referrerCode": None,
        "queueEntries": {"totalCount": 0},
        "history": {"totalCount": 0},
        "releases": {"totalCount": 0},
        "withdrawals": {"totalCount": 0},
        "giftCards": {"totalCount": 0, "edges": []},
    }
    assert (Member.objects.count(), Account.objects.count()) == (members, accounts)


def test_each_customer_sees_only_their_own_account(api, rewarded, customer, make_user, shop):
    bob = Member.objects.exclude(pk=rewarded.pk).get()
    bob_view = api.data(ACCOUNT, user=bob.user)["rewardAccount"]
    assert bob_view["id"] == account_id(bob)
    assert bob_view["wallet"] == {"amount": "0.00"}
    assert bob_view["referralCode"] == bob.referral_code
    alice_view = api.data(ACCOUNT, user=customer)["rewardAccount"]
    assert alice_view["id"] == account_id(rewarded)


def test_an_account_belongs_to_one_channel(api, rewarded, customer, make_channel):
    outlet = make_channel("outlet", currency="EUR")
    account = api.data(ACCOUNT, user=customer, channel=outlet)["rewardAccount"]
    assert (account["id"], account["currency"], account["points"], account["wallet"]) == (
        None,
        "EUR",
        "0",
        {"amount": "0.00"},
    )


def test_queue_entries_show_their_place_in_the_channel_queue(
    api, rewarded, customer, make_user, shop
):
    bob = Member.objects.exclude(pk=rewarded.pk).get()
    bob_entries = api.data(QUEUE, user=bob.user)["rewardAccount"]["queueEntries"]
    assert bob_entries == {
        "totalCount": 1,
        "edges": [
            {
                "node": {
                    "orderNumber": "2",
                    "status": "WAITING",
                    "position": 2,
                    "target": {"amount": "100.00"},
                    "received": {"amount": "0.00"},
                    "remaining": {"amount": "100.00"},
                    "originalTarget": {"amount": "100.00"},
                }
            }
        ],
    }

    # Three more orders put 60.00 into the pool: Alice's entry is freed, Bob's is next.
    for name in ("carol", "dave", "erin"):
        shop.order(make_user(name), 100)
    alice_entries = api.data(QUEUE, user=customer)["rewardAccount"]["queueEntries"]
    assert alice_entries["edges"][0]["node"]["status"] == "FREED"
    assert alice_entries["edges"][0]["node"]["position"] is None
    assert alice_entries["edges"][0]["node"]["received"] == {"amount": "100.00"}
    bob_entries = api.data(QUEUE, user=bob.user)["rewardAccount"]["queueEntries"]
    assert bob_entries["edges"][0]["node"]["position"] == 1
    waiting = api.data(QUEUE, {"statuses": ["WAITING"]}, user=customer)
    assert waiting["rewardAccount"]["queueEntries"] == {"totalCount": 0, "edges": []}


def test_history_is_filtered_by_kind_account_and_day(api, rewarded, customer):
    assert history(api, customer)["totalCount"] == 4
    rewards = history(api, customer, filter={"kinds": ["ORDER_REWARD"]})
    assert sorted((e["node"]["account"], e["node"]["orderNumber"]) for e in rewards["edges"]) == [
        ("CONTRIBUTION", "1"),
        ("ENERGY", "1"),
        ("POINTS", "1"),
    ]
    # Paid by Bob's order, whose number is not Alice's to see.
    wallet = history(api, customer, filter={"accounts": ["WALLET"]})
    assert [e["node"] for e in wallet["edges"]] == [
        {
            "kind": "QUEUE_PAYOUT",
            "account": "WALLET",
            "amount": "40.00",
            "currency": "USD",
            "orderNumber": None,
        }
    ]
    today = rewarded.created_at.date()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert history(api, customer, filter={"day": {"gte": tomorrow}})["totalCount"] == 0
    assert history(api, customer, filter={"day": {"lte": today.isoformat()}})["totalCount"] == 4
    assert history(api, customer, filter={"kinds": ["DAILY_RELEASE"]})["edges"] == []


def test_history_pages_forward_and_back(api, rewarded, customer):
    first = history(api, customer, first=3)
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    rest = history(api, customer, first=3, after=first["pageInfo"]["endCursor"])
    assert rest["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": rest["edges"][0]["cursor"],
        "endCursor": rest["edges"][0]["cursor"],
    }
    everything = [e["cursor"] for e in history(api, customer, first=100)["edges"]]
    assert [e["cursor"] for e in first["edges"] + rest["edges"]] == everything
    back = history(api, customer, last=2, before=rest["edges"][0]["cursor"])
    assert [e["cursor"] for e in back["edges"]] == everything[1:3]
    assert back["pageInfo"]["hasPreviousPage"] is True
    assert back["pageInfo"]["hasNextPage"] is True
    newest = history(api, customer, last=10)
    assert [e["cursor"] for e in newest["edges"]] == everything


def test_the_total_count_is_the_whole_lists_on_every_page(api, rewarded, customer):
    total = history(api, customer, first=100)["totalCount"]
    assert total == 4
    first = history(api, customer, first=1)
    # Read with the page; past the last row (an empty page) and on an empty first page (no
    # room) it is read on its own.
    past = history(
        api, customer, first=2, after=history(api, customer, last=1)["edges"][0]["cursor"]
    )
    assert [first["totalCount"], past["totalCount"], len(past["edges"])] == [total, total, 0]
    assert history(api, customer, first=0)["totalCount"] == total
    assert history(api, customer, last=2)["totalCount"] == total
    assert history(api, customer, first=1, filter={"accounts": ["WALLET"]})["totalCount"] == 1
    # Through a fragment as well.
    query = (
        "fragment Counted on RewardHistoryEntryCountableConnection { totalCount }\n"
        "{ rewardAccount { history(first: 1) { ...Counted edges { cursor } } } }"
    )
    assert api.data(query, user=customer)["rewardAccount"]["history"]["totalCount"] == total


def test_bad_pagination_is_an_error(api, rewarded, customer):
    for variables, message in (
        ({"first": 101}, "Pages hold from 0 to 100 items."),
        ({"first": -1}, "Pages hold from 0 to 100 items."),
        ({"first": 1, "last": 1}, "Give either `first` or `last`, not both."),
        ({"after": "bm90IGEgY3Vyc29y"}, "Invalid cursor: 'bm90IGEgY3Vyc29y'."),
        ({"after": "WyJ4Il0="}, "Invalid cursor: 'WyJ4Il0='."),
    ):
        body = api(HISTORY, variables, user=customer)
        assert [e["message"] for e in body["errors"]] == [message], variables
        assert body["data"] == {"rewardAccount": {"history": None}}


RELEASES = """
query Releases($filter: ReleaseFilterInput) {
  rewardAccount {
    releases(first: 10, filter: $filter) {
      totalCount
      edges { node { day amount { amount currency } contribution { amount } weight
                     energy { amount } } }
    }
    history(first: 1, filter: {kinds: [DAILY_RELEASE], accounts: [WALLET]}) {
      edges { node { kind amount day } }
    }
  }
}
"""


def test_releases_list_the_daily_shares_newest_first(api, shop, customer, clock):
    from saleor_dividend_plugin.settlement import settle_until

    today = clock.now.date()
    clock.advance(days=-2)
    shop.order(customer, 100)
    clock.advance(days=2)
    settle_until(shop.channel, today - datetime.timedelta(days=1))
    days = [(today - datetime.timedelta(days=n)).isoformat() for n in (2, 1)]

    account = api.data(RELEASES, user=customer)["rewardAccount"]
    # Day 1: the whole 10.00 budget; day 2: nothing new was funded, nothing is released.
    assert account["releases"] == {
        "totalCount": 1,
        "edges": [
            {
                "node": {
                    "day": days[0],
                    "amount": {"amount": "10.00", "currency": "USD"},
                    "contribution": {"amount": "100.00"},
                    "weight": "1",
                    "energy": {"amount": "300.00"},
                }
            }
        ],
    }
    assert account["history"]["edges"] == [
        {"node": {"kind": "DAILY_RELEASE", "amount": "10.00", "day": days[0]}}
    ]
    later = api.data(RELEASES, {"filter": {"day": {"gte": days[1]}}}, user=customer)
    assert later["rewardAccount"]["releases"] == {"totalCount": 0, "edges": []}
