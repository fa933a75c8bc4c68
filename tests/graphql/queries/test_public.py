"""What anyone may read about a channel: its pool, tiers and point value."""

import datetime

from saleor_dividend_plugin.models import PointValue

PUBLIC = """
{
  dividendPool { enabled balance { amount currency } funded { amount } paid { amount }
                 queueLength queueRemaining { amount } entriesFreed }
  rewardTiers { code name minContribution { amount currency } releaseWeight pointsMultiplier }
  pointValue { day value currency backing { amount } outstandingPoints }
}
"""
HISTORY = """
query History($filter: PointValueFilterInput) {
  pointValueHistory(first: 10, filter: $filter) {
    totalCount edges { node { day value backing { amount } outstandingPoints } }
  }
}
"""


def test_anyone_reads_the_pool_tiers_and_point_value(api, rewarded, make_user, shop):
    shop.order(make_user("carol"), 300)
    data = api.data(PUBLIC)
    # Pool: 20 + 20 + 60 in; Alice's entry freed by 100.00, Bob's paid 0.00 so far.
    assert data["dividendPool"] == {
        "enabled": True,
        "balance": {"amount": "0.00", "currency": "USD"},
        "funded": {"amount": "100.00"},
        "paid": {"amount": "100.00"},
        "queueLength": 2,
        "queueRemaining": {"amount": "400.00"},
        "entriesFreed": 1,
    }
    assert data["rewardTiers"][0] == {
        "code": "member",
        "name": "Member",
        "minContribution": {"amount": "0.00", "currency": "USD"},
        "releaseWeight": "1",
        "pointsMultiplier": "1",
    }
    assert [t["code"] for t in data["rewardTiers"]] == ["member", "silver", "gold", "platinum"]
    # Backing 5% of 500.00 for 500 points.
    assert data["pointValue"] == {
        "day": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "value": "0.05",
        "currency": "USD",
        "backing": {"amount": "25.00"},
        "outstandingPoints": "500",
    }


def test_the_point_value_history_lists_settled_days_newest_first(api, channel):
    day = datetime.date(2026, 1, 1)
    for n, value in enumerate(("0.01", "0.0101", "0.010201")):
        PointValue.objects.create(
            channel=channel,
            day=day + datetime.timedelta(days=n),
            value=value,
            backing="10.00",
            outstanding="1000",
        )
    history = api.data(HISTORY)["pointValueHistory"]
    assert history["totalCount"] == 3
    assert [(e["node"]["day"], e["node"]["value"]) for e in history["edges"]] == [
        ("2026-01-03", "0.010201"),
        ("2026-01-02", "0.0101"),
        ("2026-01-01", "0.01"),
    ]
    assert history["edges"][0]["node"]["backing"] == {"amount": "10.00"}
    assert history["edges"][0]["node"]["outstandingPoints"] == "1000"
    window = api.data(HISTORY, {"filter": {"day": {"gte": "2026-01-02", "lte": "2026-01-02"}}})
    assert [e["node"]["day"] for e in window["pointValueHistory"]["edges"]] == ["2026-01-02"]


PROGRAM = """
{ rewardProgram { currency pointsPerUnit pointsMinRedemption pointsExpireDays freeRatio
                  withdrawalsEnabled minWithdrawal { amount currency } } }
"""


def test_anyone_reads_the_rules_a_customer_needs_before_acting(api, channel):
    assert api.data(PROGRAM)["rewardProgram"] == {
        "currency": "USD",
        "pointsPerUnit": "1",
        "pointsMinRedemption": "100",
        "pointsExpireDays": None,
        "freeRatio": "1",
        "withdrawalsEnabled": False,
        "minWithdrawal": {"amount": "10.00", "currency": "USD"},
    }


def test_the_rules_follow_the_channel_configuration(api, make_channel):
    make_channel(
        "shop-jp",
        "JPY",
        points_per_unit=10,
        points_min_redemption=250,
        points_expire_days=90,
        free_ratio="0.5",
        withdrawals_enabled="true",
        min_withdrawal=1000,
    )
    program = api.data(PROGRAM, url="/graphql/?channel=shop-jp")["rewardProgram"]
    assert program == {
        "currency": "JPY",
        "pointsPerUnit": "10",
        "pointsMinRedemption": "250",
        "pointsExpireDays": 90,
        "freeRatio": "0.5",
        "withdrawalsEnabled": True,
        "minWithdrawal": {"amount": "1000", "currency": "JPY"},
    }
