"""Order events confirmed in batches: a drain applies a channel's pending events in arrival
order, and a batch does exactly what the same events do one at a time."""

import itertools
import json
from decimal import Decimal as D

import psycopg
import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saleor_dividend_plugin import lifecycle, tasks
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.locks import LockSpace
from saleor_dividend_plugin.members import member_for, set_referrer
from saleor_dividend_plugin.models import (
    Account,
    OrderEvent,
    OrderRecord,
    OrderStatus,
    QueueEntry,
    TierChange,
)
from standalone_host.store import services
from standalone_host.store.host import snapshot
from standalone_host.store.models import StoreOrder

_runs = itertools.count()
TIERS = json.dumps(
    [
        {"code": "basic", "name": "Basic", "min_contribution": "0"},
        {"code": "silver", "name": "Silver", "min_contribution": "150", "points_multiplier": "1.2"},
        {"code": "gold", "name": "Gold", "min_contribution": "400", "release_weight": "2"},
    ]
)


def _other_session():
    dsn = connection.settings_dict
    return psycopg.connect(
        host=dsn["HOST"], port=dsn["PORT"], user=dsn["USER"], dbname=dsn["NAME"], autocommit=True
    )


def test_an_event_left_to_a_running_drain_is_applied_by_it(shop, make_user):
    order = services.place_order("web", "USD", make_user(), [(D("100"), "default")], notify=False)
    services.charge(order, notify=False)
    with _other_session() as other:
        # Another worker is draining the channel: the task queues its event and returns.
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LockSpace.DRAIN, shop.channel.pk])
        assert tasks.sync_order_now(str(order.pk)) == "left to the channel's drain"
        assert not OrderRecord.objects.filter(order_id=str(order.pk)).exists()
        assert OrderEvent.objects.filter(order_id=str(order.pk)).count() == 1
    # That drain, or the next, finds it pending.
    assert lifecycle.drain(shop.channel.pk) == "left to the channel's drain"
    assert shop.record(order).status == OrderStatus.CONFIRMED
    assert not OrderEvent.objects.exists()
    assert audit_channel(shop.channel) == []


def test_an_event_the_rules_cannot_apply_is_set_aside_and_the_others_go_on(shop, make_user):
    first, second = (
        services.place_order("web", "USD", make_user(), [(D(a), "default")], notify=False)
        for a in ("100", "50")
    )
    for order in (first, second):
        services.charge(order, notify=False)
        lifecycle.record_event(shop.channel, snapshot(order))
    broken = snapshot(first).to_json()
    del broken["charged"]
    OrderEvent.objects.filter(order_id=str(first.pk)).update(snapshot=broken)

    lifecycle.drain(shop.channel.pk)

    assert not OrderRecord.objects.filter(order_id=str(first.pk)).exists()
    assert shop.record(second).status == OrderStatus.CONFIRMED
    [left] = OrderEvent.objects.all()
    assert (left.order_id, left.failed_at is not None) == (str(first.pk), True)
    assert "charged" in left.error
    # The order's next event brings it in line.
    assert tasks.sync_order_now(str(first.pk)) == "recorded, confirmed"
    assert audit_channel(shop.channel) == []


# A random history of order events: (customer, amount, what happens next).
steps = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.sampled_from(["0.01", "12.50", "80", "150", "333.33"]),
        st.sampled_from(["pay", "pay", "pay twice", "unpaid", "cancel", "refund part", "refund"]),
        st.booleans(),  # a gift package
    ),
    min_size=1,
    max_size=12,
)


def _events(channel, users, history) -> list:
    """Place the orders in the store and return their snapshots in event order (an order's
    events may be reported twice, and a late one after a newer)."""
    events = []
    for customer, amount, then, gift in history:
        line = (D(amount), "gift_package" if gift else "default")
        order = services.place_order(
            channel.slug, channel.currency, users[customer], [line], notify=False
        )
        events.append(snapshot(order))
        if then == "cancel":
            services.cancel(order, "cancelled", notify=False)
        elif then != "unpaid":
            services.charge(order, notify=False)
        events.append(snapshot(StoreOrder.objects.get(pk=order.pk)))
        if then == "pay twice":
            events.append(events[-1])
        if then.startswith("refund"):
            part = D(amount) / 3 if then == "refund part" else D(amount)
            services.refund(order, part.quantize(D("0.01")), notify=False)
            paid = events[-1]
            events.append(snapshot(StoreOrder.objects.get(pk=order.pk)))
            events.append(paid)  # the payment's event arriving late
    return events


def _figures(channel, users) -> dict:
    """What a channel holds, by customer (numbered as in `users`) and by order in the order they
    were placed."""
    number = {user.pk: n for n, user in enumerate(users)}

    def _customer(member):
        return number[member.user_id]

    balances = sorted(
        (_customer(a.member) if a.member else -1, a.kind, a.unit, a.balance)
        for a in Account.objects.filter(channel=channel).select_related("member")
    )
    orders = [
        (r.status, r.amount, r.points, r.energy, r.refunded)
        for r in OrderRecord.objects.filter(channel=channel).order_by("created_at", "pk")
    ]
    queue = [
        (_customer(q.member), q.target, q.received, q.status)
        for q in QueueEntry.objects.filter(channel=channel).order_by("seq")
    ]
    tiers = sorted(
        (_customer(t.member), t.previous, t.tier, t.reason)
        for t in TierChange.objects.filter(member__channel=channel)
    )
    return {"balances": balances, "orders": orders, "queue": queue, "tiers": tiers}


@pytest.mark.parametrize("payout_mode", ["fifo", "even"])
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=steps, batch=st.integers(1, 7))
def test_a_batch_does_what_the_same_events_do_one_at_a_time(
    make_channel, make_user, payout_mode, history, batch
):
    values = {
        "payout_mode": payout_mode,
        "even_k": "2",
        "dividend_ratio": "0.3",
        "queue_max_entries_per_member": "2",
        "tiers": TIERS,
        "gift_package_product_types": "gift_package",
        "gift_package_tier": "gold",
    }
    run = next(_runs)
    one, many = make_channel(f"one{run}", **values), make_channel(f"many{run}", **values)
    users = {name: [make_user(f"{name}{run}-{i}") for i in range(4)] for name in ("one", "many")}
    # Referrals link the same customers in both channels.
    for channel, people in ((one, users["one"]), (many, users["many"])):
        for referred, referrer in ((1, 0), (2, 1)):
            code = member_for(channel, people[referrer].pk).referral_code
            set_referrer(member_for(channel, people[referred].pk), code)

    for event in _events(one, users["one"], history):
        lifecycle.sync_order(event)
    lifecycle.DRAIN_BATCH, before = batch, lifecycle.DRAIN_BATCH
    try:
        for event in _events(many, users["many"], history):
            lifecycle.record_event(many, event)
        lifecycle.drain(many.pk)
    finally:
        lifecycle.DRAIN_BATCH = before

    assert not OrderEvent.objects.filter(channel=many).exists()
    assert _figures(many, users["many"]) == _figures(one, users["one"])
    assert audit_channel(many) == []
