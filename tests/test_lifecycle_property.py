"""Duplicated, late and reordered order events converge on the ledger of one in-order delivery."""

import datetime
import itertools
from decimal import Decimal as D

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.channels import configure_channel
from saleor_dividend_plugin.host import OrderLine, OrderSnapshot
from saleor_dividend_plugin.lifecycle import sync_order
from saleor_dividend_plugin.models import Account, OrderRecord, QueueEntry

_channels = itertools.count(1)
CREATED = timezone.make_aware(datetime.datetime(2026, 1, 5, 12))


def _snapshot(channel, index, user_id, amount, *, charged=D(0), refunded=D(0), status="open"):
    return OrderSnapshot(
        order_id=f"order-{index}",
        number=str(index),
        channel=channel,
        currency="USD",
        user_id=user_id,
        from_checkout=True,
        status=status,
        subtotal_gross=amount,
        subtotal_net=amount,
        total_gross=amount,
        total_net=amount,
        charged=charged,
        refunded=refunded,
        created_at=CREATED,
        lines=(OrderLine("gift" if index % 3 == 0 else "default", amount, amount),),
    )


@st.composite
def order_histories(draw):
    """Per order: the successive states the host goes through (cumulative amounts)."""
    histories = []
    for _ in range(draw(st.integers(1, 5))):
        amount = D(draw(st.integers(100, 30000))) / 100
        user = draw(st.sampled_from([0, 1, 2, None]))
        path = draw(st.sampled_from(["void", "paid", "paid", "cancel_after_paid"]))
        states = [dict(user=user, amount=amount)]
        if path == "void":
            states.append(dict(user=user, amount=amount, status="cancelled"))
        else:
            states.append(dict(user=user, amount=amount, charged=amount))
            refunded = D(0)
            if path == "cancel_after_paid":
                states.append(dict(user=user, amount=amount, charged=amount, status="cancelled"))
                refunds = [amount]
            else:
                refunds = draw(st.lists(st.integers(1, 10000), max_size=3))
                refunds = [D(r) / 100 for r in refunds]
            for r in refunds:
                refunded = min(refunded + r, amount)
                last = states[-1]
                states.append({**last, "refunded": refunded})
        histories.append(states)
    return histories


def _deliver_all(slug, histories, users, orderings):
    for index, (states, ordering) in enumerate(zip(histories, orderings, strict=True)):
        for i in ordering:
            state = dict(states[i])
            user = state.pop("user")
            amount = state.pop("amount")
            sync_order(
                _snapshot(slug, index, None if user is None else users[user].pk, amount, **state)
            )


def _state(channel, users):
    who = {None: None, **{u.pk: i for i, u in enumerate(users)}}
    accounts = sorted(
        (a.kind, a.unit, who[a.member.user_id] if a.member else None, a.balance)
        for a in Account.objects.filter(channel=channel).select_related("member")
    )
    queue = sorted(
        (e.order.order_id, e.target, e.received, e.status)
        for e in QueueEntry.objects.filter(channel=channel).select_related("order")
    )
    orders = sorted(
        OrderRecord.objects.filter(channel=channel).values_list(
            "order_id", "status", "amount", "points", "energy", "refunded"
        )
    )
    return accounts, queue, orders


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories=order_histories(), data=st.data())
def test_replayed_and_reordered_events_equal_in_order_delivery(db, make_user, histories, data):
    users = [make_user() for _ in range(3)]
    config = {"gift_package_product_types": "gift", "queue_max_entries_per_member": "2"}
    in_order = configure_channel(f"in-order-{next(_channels)}", "USD", config, True)
    shuffled = configure_channel(f"shuffled-{next(_channels)}", "USD", config, True)

    _deliver_all(in_order.slug, histories, users, [range(len(s)) for s in histories])
    orderings = []
    for states in histories:
        every = list(range(len(states)))
        extra = data.draw(st.lists(st.sampled_from(every), max_size=4))
        orderings.append(data.draw(st.permutations(every + extra)))
    _deliver_all(shuffled.slug, histories, users, orderings)

    assert audit_channel(in_order) == []
    assert audit_channel(shuffled) == []
    assert _state(shuffled, users) == _state(in_order, users)
