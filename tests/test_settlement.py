"""The daily settlement in-process, with exact amounts (default configuration unless stated).

The clock is set so that orders are paid on chosen days; the days are then settled once they
have ended. Defaults: release_ratio 0.1, energy 3 per unit, dividend 0.2, backing 0.05.
"""

import datetime
from decimal import Decimal as D

import psycopg
import pytest
from django.db import connection

from saleor_dividend_plugin import points
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.locks import LockSpace
from saleor_dividend_plugin.models import (
    AccountKind,
    LedgerTransaction,
    PointLot,
    QueueStatus,
    Release,
    SettlementDay,
)
from saleor_dividend_plugin.settlement import (
    ALREADY_SETTLED,
    BUSY,
    SETTLED,
    SettlementError,
    last_ended_day,
    settle_day,
    settle_due,
)

UTC = datetime.UTC
MARCH_10 = datetime.date(2025, 3, 10)
MARCH_11 = datetime.date(2025, 3, 11)
MARCH_12 = datetime.date(2025, 3, 12)


def at(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=UTC)


def releases(shop, day):
    return {
        r.member.user: r.amount
        for r in Release.objects.filter(channel=shop.channel, day=day).select_related("member")
    }


def test_last_ended_day_is_yesterday_in_the_channel_timezone(make_channel):
    now = datetime.datetime(2025, 3, 10, 23, 30, tzinfo=UTC)
    assert last_ended_day(make_channel("utc"), now) == datetime.date(2025, 3, 9)
    # 08:30 on the 11th in Tokyo: the 10th has ended there.
    assert last_ended_day(make_channel("jp", timezone="Asia/Tokyo"), now) == MARCH_10
    # 13:30 on the 10th in Honolulu.
    assert last_ended_day(make_channel("hi", timezone="Pacific/Honolulu"), now) == (
        datetime.date(2025, 3, 9)
    )


def test_a_day_is_released_in_proportion_to_contribution(shop, make_user, clock):
    # Given two members who paid 100 and 300 on March 10
    alice, bob = make_user("alice"), make_user("bob")
    clock.set(at(MARCH_10, 9))
    shop.order(alice, "100")
    shop.order(bob, "300")
    # Alice's entry got the 80 the pool held once Bob paid (see the order dividend)
    assert shop.wallet(alice) == D("80.00")

    # When the 10th is settled after midnight
    clock.set(at(MARCH_11, 0, 15))
    [result] = settle_due(shop.channel)

    # Then the budget is 10% of the day's 400, split by contribution (unit value 40/400 = 0.1)
    assert (result.day, result.status, result.released, result.members_paid) == (
        MARCH_10,
        SETTLED,
        D("40.00"),
        2,
    )
    assert releases(shop, MARCH_10) == {alice: D("10.00"), bob: D("30.00")}
    assert shop.wallet(alice) == D("90.00")
    assert shop.wallet(bob) == D("30.00")
    assert shop.balance(alice, AccountKind.ENERGY) == D("290.00")
    assert shop.balance(bob, AccountKind.ENERGY) == D("870.00")
    assert shop.balance(None, AccountKind.RELEASE_POOL) == 0
    day = SettlementDay.objects.get(channel=shop.channel, day=MARCH_10)
    assert (day.revenue, day.budget, day.released, day.members_paid) == (
        D("400.00"),
        D("40.00"),
        D("40.00"),
        2,
    )
    # Backed points: 5% of 400 backs 400 points
    assert day.point_value == D("0.05")
    assert day.released_at and day.appreciated_at and day.expired_at and day.finished_at
    assert audit_channel(shop.channel) == []


def test_orders_paid_after_midnight_fund_the_next_day(shop, make_user, clock):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    clock.set(at(MARCH_10))
    for user in (alice, bob, carol):
        shop.order(user, "100")
    # Carol pays again after midnight, before the 10th is settled
    clock.set(at(MARCH_11, 0, 5))
    shop.order(carol, "200")

    clock.set(at(MARCH_11, 0, 15))
    [day10] = settle_due(shop.channel)

    # The 10th releases its own 30; Carol's 20 waits for the 11th
    assert (day10.released, day10.members_paid) == (D("30.00"), 3)
    assert SettlementDay.objects.get(day=MARCH_10).budget == D("30.00")
    assert shop.balance(None, AccountKind.RELEASE_POOL) == D("20.00")

    # The 11th releases 20 over contributions 100/100/300 (unit value 0.04)
    clock.set(at(MARCH_12, 1))
    [day11] = settle_due(shop.channel)
    assert (day11.day, day11.released) == (MARCH_11, D("20.00"))
    assert releases(shop, MARCH_11) == {alice: D("4.00"), bob: D("4.00"), carol: D("12.00")}

    # Nobody paid on the 12th and nothing was left over: nothing to release
    clock.set(at(datetime.date(2025, 3, 13), 1))
    [day12] = settle_due(shop.channel)
    assert (day12.day, day12.status, day12.released, day12.members_paid) == (
        MARCH_12,
        SETTLED,
        0,
        0,
    )
    assert audit_channel(shop.channel) == []


def test_a_day_settled_late_is_split_as_it_would_have_been_on_time(shop, make_user, clock):
    alice, bob = make_user("alice"), make_user("bob")
    clock.set(at(MARCH_10))
    shop.order(alice, "100")
    shop.order(bob, "300")
    # Alice pays again on the 12th; the 10th is settled only after that
    clock.set(at(MARCH_12))
    shop.order(alice, "200")
    clock.set(at(datetime.date(2025, 3, 13), 1))

    settle_due(shop.channel)

    # By the end of the 10th Alice had contributed 100 and Bob 300
    assert releases(shop, MARCH_10) == {alice: D("10.00"), bob: D("30.00")}


def test_shares_round_down_and_the_remainder_is_released_later(shop, make_user, clock):
    users = [make_user() for _ in range(3)]
    clock.set(at(MARCH_10))
    for user in users:
        shop.order(user, "100")
    # A guest's order funds the release pool but earns no contribution
    shop.order(None, "10")
    clock.set(at(MARCH_11, 1))

    [result] = settle_due(shop.channel)

    # Budget 31 over contributions 100/100/100: each 10.333... rounds down to 10.33
    day = SettlementDay.objects.get(channel=shop.channel, day=MARCH_10)
    assert (day.budget, day.released, result.released) == (D("31.00"), D("30.99"), D("30.99"))
    assert sorted(releases(shop, MARCH_10).values()) == [D("10.33")] * 3
    assert shop.balance(None, AccountKind.RELEASE_POOL) == D("0.01")

    # The cent left is the next day's budget; a third of it is below a cent, so it keeps waiting
    # in the pool rather than being rounded up
    clock.set(at(MARCH_12, 1))
    [result] = settle_due(shop.channel)
    assert (result.day, result.released) == (MARCH_11, 0)
    assert SettlementDay.objects.get(channel=shop.channel, day=MARCH_11).budget == D("0.01")
    assert shop.balance(None, AccountKind.RELEASE_POOL) == D("0.01")
    assert audit_channel(shop.channel) == []


def test_settling_a_settled_day_does_nothing_and_says_so(shop, make_user, clock):
    clock.set(at(MARCH_10))
    user = make_user()
    shop.order(user, "100")
    clock.set(at(MARCH_11, 1))
    assert settle_day(shop.channel, MARCH_10).status == SETTLED
    postings = LedgerTransaction.objects.count()
    finished = SettlementDay.objects.get(day=MARCH_10).finished_at

    again = settle_day(shop.channel, MARCH_10)

    assert (again.status, again.released, again.members_paid) == (ALREADY_SETTLED, D("10.00"), 1)
    assert str(again) == "2025-03-10: already settled"
    assert LedgerTransaction.objects.count() == postings
    assert SettlementDay.objects.get(day=MARCH_10).finished_at == finished
    assert shop.wallet(user) == D("10.00")
    assert settle_due(shop.channel) == []


def test_days_are_settled_in_order_and_only_once_ended(shop, make_user, clock):
    clock.set(at(MARCH_10))
    shop.order(make_user(), "100")
    clock.set(at(MARCH_12, 1))
    with pytest.raises(SettlementError, match="2025-03-12 has not ended yet in UTC"):
        settle_day(shop.channel, MARCH_12)
    with pytest.raises(SettlementError, match="2025-03-10 is not settled yet"):
        settle_day(shop.channel, MARCH_11)
    with pytest.raises(SettlementError, match="the first paid order was on 2025-03-10"):
        settle_day(shop.channel, datetime.date(2025, 3, 9))
    assert not SettlementDay.objects.exists()
    assert [(r.day, r.status) for r in settle_due(shop.channel)] == [
        (MARCH_10, SETTLED),
        (MARCH_11, SETTLED),
    ]


def test_a_settlement_stopped_after_the_release_finishes_without_paying_twice(
    shop, make_user, clock, monkeypatch
):
    alice, bob = make_user("alice"), make_user("bob")
    clock.set(at(MARCH_10))
    shop.order(alice, "100")
    shop.order(bob, "300")
    clock.set(at(MARCH_11, 1))

    # Given a settlement that dies after its release step has committed
    def crash(channel, day):
        raise RuntimeError("worker lost")

    appreciate = points.appreciate
    monkeypatch.setattr(points, "appreciate", crash)
    with pytest.raises(RuntimeError):
        settle_day(shop.channel, MARCH_10)
    day = SettlementDay.objects.get(channel=shop.channel, day=MARCH_10)
    assert day.released_at is not None
    assert (day.appreciated_at, day.finished_at) == (None, None)
    assert shop.wallet(bob) == D("30.00")
    monkeypatch.setattr(points, "appreciate", appreciate)

    # When it runs again
    result = settle_day(shop.channel, MARCH_10)

    # Then it finishes the remaining steps and pays nobody again
    assert (result.status, result.released, result.members_paid) == (SETTLED, D("40.00"), 2)
    assert LedgerTransaction.objects.filter(kind="daily_release", day=MARCH_10).count() == 1
    assert releases(shop, MARCH_10) == {alice: D("10.00"), bob: D("30.00")}
    assert (shop.wallet(alice), shop.wallet(bob)) == (D("90.00"), D("30.00"))
    day.refresh_from_db()
    assert day.point_value == D("0.05") and day.finished_at is not None
    assert audit_channel(shop.channel) == []


def test_a_busy_channel_is_left_to_the_runner_holding_it(shop, make_user, clock):
    clock.set(at(MARCH_10))
    shop.order(make_user(), "100")
    clock.set(at(MARCH_11, 1))
    dsn = connection.settings_dict
    with psycopg.connect(
        host=dsn["HOST"], port=dsn["PORT"], user=dsn["USER"], dbname=dsn["NAME"], autocommit=True
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LockSpace.SETTLEMENT, shop.channel.pk])
        assert settle_day(shop.channel, MARCH_10).status == BUSY
        assert [r.status for r in settle_due(shop.channel)] == [BUSY]
        # Given up before the session closes: a closing backend lets its locks go a little
        # after the client has gone.
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [LockSpace.SETTLEMENT, shop.channel.pk])
    assert not SettlementDay.objects.exists()
    assert not Release.objects.exists()
    assert settle_day(shop.channel, MARCH_10).status == SETTLED


def test_settlement_expires_queue_entries_and_points_at_the_end_of_their_day(
    make_shop, make_user, clock
):
    shop = make_shop(queue_ttl_days=1, points_expire_days=1)
    alice = make_user("alice")
    clock.set(at(MARCH_10, 10))
    record = shop.order(alice, "100")
    clock.set(at(MARCH_11, 1))
    settle_due(shop.channel)
    # The entry may wait until 10:00 on the 11th; the points are usable through the 11th
    entry = record.queue_entry
    entry.refresh_from_db()
    assert entry.status == QueueStatus.WAITING
    assert shop.balance(alice, AccountKind.POINTS) == D(100)

    clock.set(at(MARCH_12, 1))
    [result] = settle_due(shop.channel)

    assert (result.day, result.status) == (MARCH_11, SETTLED)
    entry.refresh_from_db()
    assert entry.status == QueueStatus.EXPIRED
    assert shop.balance(alice, AccountKind.POINTS) == 0
    assert PointLot.objects.get(member__user=alice).remaining == 0
    assert audit_channel(shop.channel) == []
