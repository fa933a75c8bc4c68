"""What anyone may read about a channel: its pool, tiers and point value."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from saleor_dividend_plugin import points
from saleor_dividend_plugin.models import PointValue
from standalone_host.store.models import StoreOrder

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


def test_outstanding_points_leave_out_points_written_off(api, rewarded, shop):
    """Alice redeems her 100 points, then her order is refunded in full: the 100 points the
    refund reverses are gone, so they are written off, and only Bob's 100 are still held."""
    points.redeem(rewarded, 100, key="redeem-all")
    [order] = rewarded.orders.all()
    shop.refund(order_of(order), 100)
    data = api.data("{ pointValue { value backing { amount } outstandingPoints } }")
    # Backing: 10.00 - 5.00 redeemed by Alice; Bob's 100 points share what is left.
    assert data["pointValue"] == {
        "value": "0.05",
        "backing": {"amount": "5.00"},
        "outstandingPoints": "100",
    }


def order_of(record) -> StoreOrder:
    return StoreOrder.objects.get(pk=record.order_id)


def test_the_dividend_pool_is_read_from_kept_figures_not_from_its_history(
    api, rewarded, make_user, shop
):
    """Anyone may ask, so the answer costs two rows however many entries the pool and the queue
    ever had: the pool account's totals and the queue's tally, never a sum over their rows."""
    shop.order(make_user("carol"), 300)
    query = """{ dividendPool { balance { amount } funded { amount } paid { amount }
                                queueLength queueRemaining { amount } entriesFreed } }"""
    with CaptureQueriesContext(connection) as captured:
        data = api.data(query)
    assert data["dividendPool"] == {
        "balance": {"amount": "0.00"},
        "funded": {"amount": "100.00"},
        "paid": {"amount": "100.00"},
        "queueLength": 2,
        "queueRemaining": {"amount": "400.00"},
        "entriesFreed": 1,
    }
    statements = [q["sql"] for q in captured.captured_queries]
    assert not [sql for sql in statements if "dividend_entry" in sql], statements
    assert not [sql for sql in statements if "dividend_queue_entry" in sql], statements
