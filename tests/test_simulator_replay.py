"""One event stream through the simulator (the rules kernel) and through the database path (store
services, `sync_order`, redemption, gift cards, daily settlement): the ledgers are identical. The
kernel and the database path implement the rules separately until the database path runs on the
kernel, so this is what holds them to the same rules."""

import datetime
import uuid
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model

from saleor_dividend_plugin import points, wallet
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.channels import configure_channel
from saleor_dividend_plugin.host import GiftCard
from saleor_dividend_plugin.kernel.rules import from_minor
from saleor_dividend_plugin.lifecycle import sync_order
from saleor_dividend_plugin.members import member_for, set_referrer
from saleor_dividend_plugin.models import (
    Account,
    AccountKind,
    Member,
    OrderRecord,
    PointValue,
    QueueEntry,
    Release,
)
from saleor_dividend_plugin.settlement import settle_day
from saleor_dividend_plugin.simulator.run import simulate
from saleor_dividend_plugin.simulator.scenario import scenario_from_dict
from standalone_host.store import services
from standalone_host.store.host import StandaloneHost, snapshot

from .samples import TIERS

FLOW = {
    "orders_per_day": 30,
    "customers": 45,
    "returning_share": "0.6",
    "guest_share": "0.08",
    "cancel_rate": "0.05",
    "refund_rate": "0.3",
    "full_refund_share": "0.3",
    "refund_within_days": 2,
    "gift_package_share": "0.1",
    "referral_rate": "0.6",
    "redemption_rate": "0.3",
    "wallet_spend_rate": "0.15",
    "order_value_spread": "0.8",
}
SCENARIOS = {
    # fifo payouts, referral chain to wallets, rate-mode points that expire, a queue that is
    # short, per customer and in time, tiers granted by gift packages; days in Berlin.
    "fifo": {
        "currency": "USD",
        "start": "2026-03-27",
        "days": 5,
        "seed": 11,
        "flow": {**FLOW, "average_order_value": "80", "gift_package_value": "149.90"},
        "config": {
            "timezone": "Europe/Berlin",
            "gift_package_product_types": "gift-package",
            "gift_package_tier": "gold",
            "tiers": TIERS,
            "queue_ttl_days": "2",
            "queue_max_length": "40",
            "queue_max_entries_per_member": "2",
            "queue_max_amount": "120",
            "points_expire_days": "2",
            "point_value_mode": "rate",
            "point_value_initial": "0.02",
            "point_daily_appreciation": "0.01",
            "points_min_redemption": "20",
            "dividend_ratio": "0.25",
            "free_ratio": "0.8",
        },
    },
    # even payouts, the referral share into the pool, backed points, a currency without minor
    # units; days in New York.
    "even": {
        "currency": "JPY",
        "start": "2026-11-02",
        "days": 5,
        "seed": 5,
        "flow": {**FLOW, "average_order_value": "8000", "gift_package_value": "15000"},
        "config": {
            "timezone": "America/New_York",
            "gift_package_product_types": "gift-package",
            "gift_package_tier": "silver",
            "tiers": TIERS.replace('"150"', '"15000"').replace('"400"', '"40000"'),
            "payout_mode": "even",
            "even_k": "3",
            "referral_mode": "queue",
            "dividend_ratio": "0.3",
            "free_ratio": "0.5",
            "queue_max_amount": "20000",
            "point_value_mode": "backed",
            "points_min_redemption": "500",
            "energy_multiplier": "2.5",
            "release_ratio": "0.15",
        },
    },
}


class GiftCardHost(StandaloneHost):
    """The standalone host, able to issue gift cards as Saleor does."""

    def issue_gift_card(self, **kwargs):
        return GiftCard(id=uuid.uuid4().hex, code=uuid.uuid4().hex[:12].upper())


def _replay(result, clock, slug):
    """Drive the database path through the simulator's events, each at its time; returns the
    channel, the users and the store orders."""
    scenario = result.scenario
    places = result.state.terms.places
    channel = configure_channel(slug, scenario.currency, scenario.config_values, active=True)
    users, store_orders = {}, {}

    def at(seconds):
        clock.set(datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC))

    def deliver(order):
        sync_order(snapshot(order))

    for number, event in enumerate(result.events):
        kind = event[0]
        if kind == "customer":
            _, index, referrer = event
            users[index] = get_user_model().objects.create_user(username=f"{slug}-{index}")
            member = member_for(channel, users[index].pk)
            if referrer is not None:
                code = Member.objects.get(channel=channel, user=users[referrer]).referral_code
                set_referrer(member, code)
        elif kind == "order":
            _, order_no, index, lines, now, cancelled = event
            at(now)
            order = services.place_order(
                slug,
                scenario.currency,
                users.get(index),
                [(from_minor(amount, places), product_type) for amount, product_type in lines],
                notify=False,
            )
            deliver(order)
            order = (
                services.cancel(order, notify=False)
                if cancelled
                else services.charge(order, notify=False)
            )
            deliver(order)
            store_orders[order_no] = order
        elif kind == "refund":
            _, order_no, cumulative, now = event
            at(now)
            order = store_orders[order_no]
            order = services.refund(
                order, from_minor(cumulative, places) - order.refunded, notify=False
            )
            store_orders[order_no] = order
            deliver(order)
        elif kind == "redeem":
            _, index, count, now = event
            at(now)
            points.redeem(_member(channel, users[index]), count, key=f"{slug}:redeem:{number}")
        elif kind == "spend":
            _, index, amount, now = event
            at(now)
            wallet.convert_to_gift_card(
                _member(channel, users[index]),
                from_minor(amount, places),
                key=f"{slug}:card:{number}",
            )
        else:
            _, day, now = event
            at(now)
            assert settle_day(channel, datetime.date.fromordinal(day)).status == "settled"
    return channel, users, store_orders


def _member(channel, user):
    return Member.objects.select_related("channel").get(channel=channel, user=user)


# The kernel no longer lets a queue clawback that the wallet cannot cover refill the dividend
# pool (DESIGN §11 rule 8); the database path still does until its own fix lands, and both streams
# have such a clawback. Strict: once the database path is fixed this passes, and the mark must go.
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_simulator_and_database_path_keep_identical_ledgers(name, db, clock, settings):
    settings.DIVIDEND_HOST = "tests.test_simulator_replay.GiftCardHost"
    scenario = scenario_from_dict(SCENARIOS[name], name=name)
    result = simulate(scenario, record_events=True)
    state, places = result.state, result.state.terms.places
    kinds = {e[0] for e in result.events}
    assert kinds == {"customer", "order", "refund", "redeem", "spend", "settle"}

    channel, users, store_orders = _replay(result, clock, f"replay-{name}")

    def money(x):
        return from_minor(x, places)

    # Every member account.
    member_of = {m.user_id: m for m in Member.objects.filter(channel=channel)}
    index_of = {member_of[user.pk].pk: index for index, user in users.items()}
    expected, found = {}, {}
    for index, user in users.items():
        member = member_of[user.pk]
        expected[index] = (
            D(state.points[index]),
            money(state.energy[index]),
            money(state.contribution[index]),
            money(state.wallet[index]),
            scenario.config.tiers[state.tier[index]].code,
        )
        balances = dict(Account.objects.filter(member=member).values_list("kind", "balance"))
        found[index] = (
            balances[AccountKind.POINTS],
            balances[AccountKind.ENERGY],
            balances[AccountKind.CONTRIBUTION],
            balances[AccountKind.WALLET],
            member.tier_code,
        )
    assert found == expected
    assert sum(state.wallet) > 0 and max(state.granted) >= 0

    # Every system account.
    system = {
        (kind, unit): balance
        for kind, unit, balance in Account.objects.filter(
            channel=channel, member__isnull=True
        ).values_list("kind", "unit", "balance")
    }
    cur = scenario.currency
    assert {key: value for key, value in system.items() if value} == {
        key: value
        for key, value in {
            (AccountKind.PLATFORM, cur): money(state.platform),
            (AccountKind.DIVIDEND_POOL, cur): money(state.dividend_pool),
            (AccountKind.RELEASE_POOL, cur): money(state.release_pool),
            (AccountKind.POINTS_BACKING, cur): money(state.backing),
            (AccountKind.WRITE_OFF, cur): money(state.write_off),
            (AccountKind.WRITE_OFF, "PTS"): D(state.write_off_points),
            (AccountKind.GIFT_CARDS, cur): money(state.gift_cards),
            (AccountKind.POINTS_ISSUED, "PTS"): D(state.points_issued),
            (AccountKind.ENERGY_ISSUED, "ENERGY"): money(state.energy_issued),
            (AccountKind.CONTRIBUTION_ISSUED, "CONTRIB"): money(state.contribution_issued),
        }.items()
        if value
    }

    # Every release, every day's point value, every queue entry.
    releases = {
        (r.day.toordinal(), index_of[r.member_id]): r.amount
        for r in Release.objects.filter(channel=channel)
    }
    assert releases == {(day, index): money(amount) for day, index, amount in result.tally.releases}
    assert len(releases) > 20
    values = dict(PointValue.objects.filter(channel=channel).values_list("day", "value"))
    assert {day.toordinal(): value for day, value in values.items()} == result.point_values
    entries = {}
    for order_no, order in store_orders.items():
        record = OrderRecord.objects.filter(channel=channel, order_id=str(order.pk)).first()
        entry = QueueEntry.objects.filter(order=record).first() if record else None
        if entry is not None:
            entries[order_no] = (entry.target, entry.received, entry.status)
    assert entries == {
        order_no: (money(o.entry.target), money(o.entry.received), o.entry.status)
        for order_no, o in result.orders.items()
        if o.entry is not None
    }
    statuses = {status for _, _, status in entries.values()}
    assert {"waiting", "freed"} <= statuses
    if name == "fifo":
        assert "expired" in statuses and result.tally.total.turned_away > 0
    assert result.tally.total.clawed_back > 0 and result.tally.total.redeemed > 0
    assert audit_channel(channel) == []
