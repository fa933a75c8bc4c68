import datetime
from decimal import Decimal

from saleor_dividend_plugin.models import AccountKind, Release, SettlementDay

from ..conftest import error_codes

D = Decimal
RUN = """
mutation Run($day: Date!, $catchUp: Boolean) {
  settlementRun(day: $day, catchUp: $catchUp) {
    errors { field code message }
    days { day status released { amount currency } membersPaid }
  }
}
"""


def test_staff_settle_a_past_day_once(api, shop, customer, make_user, make_staff, clock):
    today = clock.now.date()
    clock.advance(days=-1)
    shop.order(customer, 100)
    shop.order(make_user("bob"), 100)
    clock.advance(days=1)
    clerk = make_staff("MANAGE_ORDERS")
    yesterday = (today - datetime.timedelta(days=1)).isoformat()

    result = api.data(RUN, {"day": yesterday}, user=clerk)["settlementRun"]
    # Budget 10% of 200.00; both members have contribution 100.00 and weight 1: 10.00 each.
    assert result == {
        "errors": [],
        "days": [
            {
                "day": yesterday,
                "status": "SETTLED",
                "released": {"amount": "20.00", "currency": "USD"},
                "membersPaid": 2,
            }
        ],
    }
    assert Release.objects.get(member=shop.member(customer)).amount == D("10.00")
    assert shop.balance(customer, AccountKind.WALLET) == D("50.00")

    again = api.data(RUN, {"day": yesterday}, user=clerk)["settlementRun"]
    assert again["days"] == [
        {
            "day": yesterday,
            "status": "ALREADY_SETTLED",
            "released": {"amount": "20.00", "currency": "USD"},
            "membersPaid": 2,
        }
    ]
    assert Release.objects.count() == 2
    assert shop.balance(customer, AccountKind.WALLET) == D("50.00")


def test_catching_up_settles_every_missed_day_in_order(api, shop, customer, make_staff, clock):
    today = clock.now.date()
    clock.advance(days=-3)
    shop.order(customer, 100)
    clock.advance(days=3)
    clerk = make_staff("MANAGE_ORDERS")
    last = today - datetime.timedelta(days=1)

    refused = api.data(RUN, {"day": last.isoformat()}, user=clerk)["settlementRun"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("day", "SETTLEMENT_NOT_ALLOWED")
    ]
    assert refused["days"] == [] and not SettlementDay.objects.filter(finished_at__isnull=False)

    result = api.data(RUN, {"day": last.isoformat(), "catchUp": True}, user=clerk)
    days = result["settlementRun"]["days"]
    assert [(d["day"], d["status"]) for d in days] == [
        ((today - datetime.timedelta(days=n)).isoformat(), "SETTLED") for n in (3, 2, 1)
    ]
    assert days[0]["released"] == {"amount": "10.00", "currency": "USD"}


def test_a_day_that_has_not_ended_is_refused(api, shop, customer, make_staff, clock):
    shop.order(customer, 100)
    result = api.data(RUN, {"day": clock.now.date().isoformat()}, user=make_staff("MANAGE_ORDERS"))[
        "settlementRun"
    ]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        ("day", "SETTLEMENT_NOT_ALLOWED")
    ]
    assert "has not ended" in result["errors"][0]["message"]
    assert not SettlementDay.objects.exists()


def test_only_staff_with_manage_orders_run_settlements(api, shop, customer, make_staff, clock):
    clock.advance(days=-1)
    shop.order(customer, 100)
    clock.advance(days=1)
    yesterday = (clock.now.date() - datetime.timedelta(days=1)).isoformat()
    for user in (None, customer, make_staff(), make_staff("MANAGE_GIFT_CARD")):
        body = api(RUN, {"day": yesterday}, user=user)
        assert error_codes(body) == ["PermissionDenied"]
        assert body["data"] == {"settlementRun": None}
    assert not SettlementDay.objects.exists()
