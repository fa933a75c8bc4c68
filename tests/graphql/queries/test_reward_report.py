"""`rewardReport`: the report's figures for staff with MANAGE_ORDERS (tests/reporting/history.py
tells the known channel's days)."""

from ..conftest import error_codes

REPORT = """
query Report($days: Int) {
  rewardReport(days: $days) {
    firstDay lastDay paidOrders cancelledOrders
    revenue { amount currency } refunds { amount } funded { amount }
    paidToCustomers { amount } costShareOfRevenue liabilities { amount }
    waitingDaysUntilFree { p50 p90 max } waitingDaysSoFar { max }
    tiers { code members } topReferrers { email referred rewards { amount } }
    warnings { code }
    days {
      date orders queuePaid { amount } released { amount } queueLength queueUnpaid { amount }
      wallets { amount } pointValue pointsOutstanding members
    }
  }
}
"""


def test_staff_read_the_report_of_the_known_days(api, known_history, make_staff):
    clerk = make_staff("MANAGE_ORDERS")
    report = api.data(REPORT, {"days": 3}, user=clerk, channel=known_history.channel)[
        "rewardReport"
    ]
    days = report.pop("days")
    assert report == {
        "firstDay": "2026-03-02",
        "lastDay": "2026-03-04",
        "paidOrders": 3,
        "cancelledOrders": 1,
        "revenue": {"amount": "170.00", "currency": "USD"},
        "refunds": {"amount": "40.00"},
        "funded": {"amount": "119.00"},
        "paidToCustomers": {"amount": "80.99"},
        "costShareOfRevenue": "0.9154",
        "liabilities": {"amount": "181.00"},
        "waitingDaysUntilFree": {"p50": "0.1", "p90": "0.1", "max": "0.1"},
        "waitingDaysSoFar": {"max": "0.8"},
        "tiers": [
            {"code": "member", "members": 3},
            {"code": "silver", "members": 0},
            {"code": "gold", "members": 0},
            {"code": "platinum", "members": 0},
        ],
        "topReferrers": [
            {"email": "alice@example.com", "referred": 1, "rewards": {"amount": "0.00"}}
        ],
        "warnings": [],
    }
    assert days[0] == {
        "date": "2026-03-02",
        "orders": 2,
        "queuePaid": {"amount": "50.00"},
        "released": {"amount": "14.00"},
        "queueLength": 1,
        "queueUnpaid": {"amount": "20.00"},
        "wallets": {"amount": "68.00"},
        "pointValue": "0.10000000",
        "pointsOutstanding": "140",
        "members": 2,
    }
    assert [d["date"] for d in days] == ["2026-03-02", "2026-03-03", "2026-03-04"]


def test_customers_and_other_staff_are_refused(api, known_history, make_staff, make_user):
    channel = known_history.channel
    for user in (make_user("customer"), make_staff("MANAGE_GIFT_CARD"), None):
        body = api(REPORT, user=user, channel=channel)
        assert error_codes(body) == ["PermissionDenied"]
        assert body["data"] == {"rewardReport": None}


def test_a_bad_number_of_days_is_refused(api, known_history, make_staff):
    clerk = make_staff("MANAGE_ORDERS")
    for days in (0, -5, 4000):
        body = api(REPORT, {"days": days}, user=clerk, channel=known_history.channel)
        assert body["errors"][0]["message"] == (
            f"days must be a whole number from 1 to 3650, got {days}"
        )
