"""The live report of a channel whose three days are known (tests/reporting/conftest.py), figure
by figure.

Day 1: Alice pays 100 (the pool gets 50, the release pool 10, the backing 10; she joins the queue
for 50); Bob, whom Alice referred, pays 40 (pool 20, release 4, backing 4, Alice's referral reward
4); the pool's 70 frees Alice (50) and keeps 20; Bob joins for 20. The release pays 14: 10 to
Alice, 4 to Bob (0.1 per unit of contribution); a point is worth 14 / 140 = 0.1.
Day 2: Carol cancels an order of 60 before paying; Bob's 40 is refunded in full (his entry is
cancelled, his 36 unreleased energy and 40 points taken back, Alice's reward of 4 clawed back);
Alice redeems 100 points for 14 and asks to withdraw 20; Carol pays 30 (pool 15, release 3,
backing 3) and joins the queue for 15. The release pays 2.99 of 3 (2.30 to Alice, 0.69 to Carol).
Day 3 has begun: nothing happened yet.
"""

from decimal import Decimal as D

from saleor_dividend_plugin.reporting.live import channel_report

MONEY = ("revenue", "refunds", "funded", "pool_funded", "queue_paid", "referral_paid")
PAID = ("released", "redeemed", "spent", "clawed_back", "written_off")
STOCKS = (
    "queue_unpaid",
    "dividend_pool",
    "release_pool",
    "points_backing",
    "points_worth",
    "unreleased_energy",
    "wallets",
    "liabilities",
)


def test_daily_figures_of_a_known_history(known_history):
    report = channel_report(known_history.channel, days=3)
    rows = {row["date"]: row for row in report.rows}
    assert list(rows) == ["2026-03-02", "2026-03-03", "2026-03-04"]
    day1, day2, day3 = rows.values()

    counts = ("orders", "cancelled", "queue_joined", "queue_freed", "queue_expired")
    assert [day1[k] for k in counts] == [2, 0, 2, 1, 0]
    assert [day2[k] for k in counts] == [1, 1, 1, 0, 0]
    assert [day1[k] for k in MONEY] == [D("140"), 0, D("102"), D("70"), D("50"), D("4")]
    assert [day2[k] for k in MONEY] == [D("30"), D("40"), D("17"), D("15"), 0, D("-4")]
    assert [day1[k] for k in PAID] == [D("14"), 0, 0, 0, 0]
    assert [day2[k] for k in PAID] == [D("2.99"), D("14"), D("20"), 0, 0]

    # What each day ended with; day 1's unpaid 20 is Bob's entry before his refund cancelled it.
    assert [day1[k] for k in STOCKS] == [20, 20, 0, 14, 14, 126, 68, 208]
    assert [day2[k] for k in STOCKS] == [15, 35, D("0.01"), 3, 3, D("117.01"), D("60.99"), 181]
    assert [day3[k] for k in STOCKS] == [day2[k] for k in STOCKS]
    assert [day1["queue_length"], day2["queue_length"], day3["queue_length"]] == [1, 1, 1]
    assert [r["points_outstanding"] for r in report.rows] == [140, 30, 30]
    assert [r["point_value"] for r in report.rows] == [D("0.1")] * 3
    # Alice and Bob joined on day 1, Carol with her first order on day 2.
    assert [r["members"] for r in report.rows] == [2, 3, 3]
    assert all(r["queue_turned_away"] is None for r in report.rows)


def test_summary_of_a_known_history(known_history):
    data = channel_report(known_history.channel, days=3).summary
    assert data["orders"] == {
        "paid": 3,
        "cancelled": 1,
        "revenue": D("170"),
        "refunds": D("40"),
        "net_revenue": D("130"),
    }
    queue = data["queue"]
    assert (queue["joined"], queue["freed"], queue["waiting"], queue["unpaid"]) == (3, 1, 1, 15)
    # Alice waited two hours; Carol has waited since 14:00 yesterday (19 hours).
    assert queue["waiting_days_until_free"] == {"p50": "0.1", "p90": "0.1", "max": "0.1"}
    assert queue["waiting_days_so_far"] == {"p50": "0.8", "p90": "0.8", "max": "0.8"}
    assert data["paid"] == {
        "queue": D("50"),
        "referral": 0,
        "released": D("16.99"),
        "redeemed": D("14"),
        "clawed_back": 0,
        "spent": D("20"),
    }
    assert data["platform"] == {
        "funded": D("119"),
        "paid_to_customers": D("80.99"),
        "cost_share_of_revenue": "0.9154",
        "paid_share_of_revenue": "0.6230",
        "written_off": 0,
    }
    assert data["liabilities"] == {
        "wallets": D("60.99"),
        "points_worth": D("3"),
        "unreleased_energy": D("117.01"),
        "total": D("181"),
    }
    assert data["members"] == {
        "count": 3,
        "tiers": {"member": 3, "silver": 0, "gold": 0, "platinum": 0},
    }
    [alice] = data["top_referrers"]
    assert (alice["email"], alice["referred"], alice["rewards"]) == ("alice@example.com", 1, 0)
    assert data["warnings"] == []


def test_a_shorter_period_rolls_the_stocks_back_to_its_first_day(known_history):
    """Day 1 is outside a two-day period: its flows are not counted, its stocks are the base."""
    report = channel_report(known_history.channel, days=2)
    assert [r["date"] for r in report.rows] == ["2026-03-03", "2026-03-04"]
    assert report.summary["orders"]["paid"] == 1
    assert report.summary["platform"]["funded"] == D("17")
    assert report.rows[0]["wallets"] == D("60.99")
    # Alice was freed on day 1: no freed order in this period.
    assert report.summary["queue"]["waiting_days_until_free"] is None
