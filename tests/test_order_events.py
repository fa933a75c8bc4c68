"""Order events confirmed in batches: a drain applies a channel's pending events in arrival
order, and a batch does exactly what the same events do one at a time."""

import dataclasses
import datetime
import itertools
import json
import uuid
from decimal import Decimal as D
from unittest import mock

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
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
from standalone_host.store.host import StandaloneHost
from standalone_host.store.models import StoreOrderLine

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
        # Given up before the session closes: a closing backend lets its locks go a little
        # after the client has gone.
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [LockSpace.DRAIN, shop.channel.pk])
    # That drain, or the next, finds it pending.
    assert lifecycle.drain(shop.channel.pk) == "left to the channel's drain"
    assert shop.record(order).status == OrderStatus.CONFIRMED
    assert not OrderEvent.objects.exists()
    assert audit_channel(shop.channel) == []


def test_an_order_the_rules_cannot_apply_is_set_aside_and_the_others_go_on(shop, make_user):
    first, second = (
        services.place_order("web", "USD", make_user(), [(D(a), "default")], notify=False)
        for a in ("100", "50")
    )
    for order in (first, second):
        services.charge(order, notify=False)
        lifecycle.queue_event("web", str(order.pk))
    # A host that reports an amount no rule can compare (numeric's NaN).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {StoreOrderLine._meta.db_table} SET gross = 'NaN' WHERE order_id = %s",
            [first.pk],
        )

    lifecycle.drain(shop.channel.pk)

    assert not OrderRecord.objects.filter(order_id=str(first.pk)).exists()
    assert shop.record(second).status == OrderStatus.CONFIRMED
    [left] = OrderEvent.objects.all()
    assert (left.order_id, left.failed_at is not None) == (str(first.pk), True)
    assert "InvalidOperation" in left.error
    # Once the host reports the order properly, its next event brings it in line.
    StoreOrderLine.objects.filter(order=first).update(gross=D("100"))
    assert tasks.sync_order_now(str(first.pk)) == "recorded, confirmed"
    assert audit_channel(shop.channel) == []


def test_an_order_with_several_events_in_a_batch_is_read_and_applied_once(shop, make_user):
    order = services.place_order("web", "USD", make_user(), [(D("90"), "default")], notify=False)
    other = services.place_order("web", "USD", make_user(), [(D("30"), "default")], notify=False)
    services.charge(order, notify=False)
    services.charge(other, notify=False)
    services.refund(order, D("30"), notify=False)
    events = [lifecycle.queue_event("web", str(o.pk))[1] for o in (order, other, order, order)]
    read = []
    real = StandaloneHost.load_orders

    def counting(host, order_ids):
        read.append(sorted(order_ids))
        return real(host, order_ids)

    outcomes = {}
    with mock.patch.object(StandaloneHost, "load_orders", counting):
        lifecycle.drain(shop.channel.pk, outcomes=outcomes)

    assert read == [sorted([str(order.pk), str(other.pk)])]
    both = "recorded, confirmed, refunded"
    assert [outcomes[e] for e in events] == [both, "recorded, confirmed", both, both]
    # Applied at its first event: it entered the queue before the other order.
    assert [q.order.order_id for q in QueueEntry.objects.order_by("seq")] == [
        str(order.pk),
        str(other.pk),
    ]
    assert shop.record(order).refunded == D("30")
    assert audit_channel(shop.channel) == []


def test_events_of_orders_the_channel_does_not_reward_change_nothing(shop, make_user):
    draft = services.place_order(
        "web", "USD", make_user(), [(D("10"), "default")], notify=False, from_checkout=False
    )
    services.charge(draft, notify=False)
    assert tasks.sync_order_now(str(draft.pk)) == "not a checkout order"
    assert tasks.sync_order_now("not-an-order") == "order not found: nothing to do"
    [_, gone, _] = lifecycle.queue_event("web", str(uuid.uuid4()))
    outcomes = {}
    lifecycle.drain(shop.channel.pk, outcomes=outcomes)
    assert outcomes == {gone: "order not found: nothing to do"}
    assert lifecycle.queue_event("no-such-channel", str(draft.pk)) is None
    assert not OrderRecord.objects.exists()
    assert not OrderEvent.objects.exists()


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


def _play(channel, users, history, changed) -> None:
    """Place the orders in the store, calling `changed(order)` for each event the store reports
    (an order's event may be reported twice)."""
    for customer, amount, then, gift in history:
        line = (D(amount), "gift_package" if gift else "default")
        order = services.place_order(
            channel.slug, channel.currency, users[customer], [line], notify=False
        )
        changed(order)
        if then == "cancel":
            services.cancel(order, "cancelled", notify=False)
        elif then != "unpaid":
            services.charge(order, notify=False)
        changed(order)
        if then == "pay twice":
            changed(order)
        if then.startswith("refund"):
            part = D(amount) / 3 if then == "refund part" else D(amount)
            services.refund(order, part.quantize(D("0.01")), notify=False)
            changed(order)
            changed(order)  # reported twice


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
@given(history=steps, batch=st.integers(1, 7), every=st.integers(1, 5))
def test_a_batch_does_what_the_same_events_do_one_at_a_time(
    make_channel, make_user, payout_mode, history, batch, every
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

    # Channel `many` drains its events in batches of `batch`, every `every` events; what each
    # batch read from the store is then applied in channel `one` one order at a time.
    applied = []
    real = lifecycle.apply_orders

    def spy(channel, snapshots):
        applied.extend(snapshots)
        return real(channel, snapshots)

    sent = itertools.count(1)

    def changed(order):
        lifecycle.queue_event(many.slug, str(order.pk))
        if next(sent) % every == 0:
            lifecycle.drain(many.pk)

    lifecycle.DRAIN_BATCH, before = batch, lifecycle.DRAIN_BATCH
    try:
        with mock.patch.object(lifecycle, "apply_orders", spy):
            _play(many, users["many"], history, changed)
            lifecycle.drain(many.pk)
    finally:
        lifecycle.DRAIN_BATCH = before
    customer = {u.pk: v.pk for u, v in zip(users["many"], users["one"], strict=True)}
    for snapshot in applied:
        lifecycle.sync_order(
            dataclasses.replace(
                snapshot,
                channel=one.slug,
                order_id=f"one-{snapshot.order_id}",
                user_id=customer[snapshot.user_id],
            )
        )

    assert not OrderEvent.objects.filter(channel=many).exists()
    assert _figures(many, users["many"]) == _figures(one, users["one"])
    assert audit_channel(many) == []


def test_a_burst_of_events_calls_one_drain(
    shop, make_user, monkeypatch, django_capture_on_commit_callbacks
):
    from saleor_dividend_plugin import events
    from saleor_dividend_plugin.models import DrainCall

    called = []
    monkeypatch.setattr(tasks.drain_channel_task, "delay", called.append)
    orders = []
    for amount in ("10", "20", "30", "40", "50"):
        order = services.place_order(
            "web", "USD", make_user(), [(D(amount), "default")], notify=False
        )
        services.charge(order, notify=False)
        orders.append(order)

    def event(order):
        with django_capture_on_commit_callbacks(execute=True):
            events.order_changed(order.pk, "web")

    channel = shop.channel.pk
    # A channel whose call row is missing (made outside configure_channel) calls every time,
    # until its first drain makes the row.
    DrainCall.objects.filter(channel=channel).delete()
    event(orders[0])
    event(orders[0])
    assert called == [channel] * 2
    assert tasks.drain_channel_task(channel) == "2 order events applied"
    assert DrainCall.objects.get(channel=channel).called_at is None
    called.clear()
    # The next event calls; the ones after it, while that call is outstanding, do not.
    for order in orders[1:4]:
        event(order)
    assert called == [channel]
    assert DrainCall.objects.get(channel=channel).called_at is not None
    # A worker that finds the drain taken leaves the call outstanding, so no event calls again:
    # the running drain looks for pending events once it gives the drain up.
    with _other_session() as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LockSpace.DRAIN, channel])
        assert tasks.drain_channel_task(channel) == (
            "nothing pending, or left to the channel's running drain"
        )
        assert DrainCall.objects.get(channel=channel).called_at is not None
        # (Given up before the session closes: a closing backend lets its locks go a little
        # after the client has gone.)
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [LockSpace.DRAIN, channel])
    assert tasks.drain_channel_task(channel) == "3 order events applied"
    # A called drain that finds nothing left (another drain applied it) still answers the call.
    DrainCall.objects.filter(channel=channel).update(called_at=timezone.now())
    assert tasks.drain_channel_task(channel) == (
        "nothing pending, or left to the channel's running drain"
    )
    assert DrainCall.objects.get(channel=channel).called_at is None
    # A call that no drain answered for longer than CALL_AGAIN_AFTER counts as lost.
    event(orders[4])
    assert called == [channel] * 2
    DrainCall.objects.filter(channel=channel).update(
        called_at=timezone.now() - datetime.timedelta(seconds=11)
    )
    event(orders[4])
    assert called == [channel] * 3
    assert tasks.drain_channel_task(channel) == "2 order events applied"
    assert [shop.record(o).status for o in orders] == [OrderStatus.CONFIRMED] * 5
    assert not OrderEvent.objects.exists()
    assert audit_channel(shop.channel) == []
