"""The forecast of the known channel (tests/reporting/history.py): what it reads of the channel's
flow and state, the run from that state, and the command."""

import datetime
import io
import json
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from saleor_dividend_plugin.kernel.events import appreciate
from saleor_dividend_plugin.kernel.state import WAITING
from saleor_dividend_plugin.reporting import ledger_figures
from saleor_dividend_plugin.reporting.forecast import forecast
from saleor_dividend_plugin.reporting.start import state_from_channel
from saleor_dividend_plugin.settlement import settle_day

from .history import DAY1, at

DAY2, DAY3 = DAY1 + datetime.timedelta(days=1), DAY1 + datetime.timedelta(days=2)


def test_the_flow_history_of_the_known_days(known_history):
    history = ledger_figures.flow_history(known_history.channel, DAY1, DAY2, refund_days=1)
    # Alice and Bob on day 1; Carol's cancelled order and her paid one on day 2.
    assert history.placed_per_day == [2, 2]
    assert (history.guest_orders, history.cancelled, history.member_orders) == (0, 1, 3)
    assert sorted(history.paid) == [
        (D("30"), 0, True, 0),
        (D("40"), 0, True, D("40")),
        (D("100"), 0, True, 0),
    ]
    # Orders placed at least a day before the last count for refunds: day 1's. Bob's was refunded
    # in full, the day after he paid.
    assert (history.settled_for_refunds, history.refunded_part, history.refunded_full) == (2, 0, 1)
    assert history.refund_delays == [1]
    # Carol's paid order came after her cancelled one.
    assert history.returning_member_orders == 1
    assert (history.new_members, history.referred_new_members) == (3, 1)
    assert (history.redemptions, history.wallet_spends) == (1, 1)
    # A margin of two days leaves no order of these two days.
    later = ledger_figures.flow_history(known_history.channel, DAY1, DAY2, refund_days=2)
    assert (later.settled_for_refunds, later.refunded_full) == (0, 0)


def test_the_simulator_starts_from_the_channel_as_it_stands(known_history):
    channel = known_history.channel
    snapshot = ledger_figures.channel_snapshot(channel)
    state, waiting = state_from_channel(snapshot, channel.settings)
    # Cents, as in the report's last row: pools, wallets, energy, points, the queue.
    assert (state.dividend_pool, state.release_pool, state.backing) == (3500, 1, 300)
    assert sum(state.wallet) == 6099
    assert sum(state.energy) == -state.energy_issued == 11701
    assert state.outstanding_points() == 30
    assert state.point_value() == D("0.1")
    assert state.member_count() == 3
    assert (state.waiting, state.waiting_remaining) == (1, 1500)
    [carol] = waiting
    assert (carol.target, carol.received, carol.status) == (1500, 0, WAITING)
    # Members are numbered in the order they joined: Bob (setting Alice as his referrer) just
    # before Alice, then Carol.
    assert state.referrer == [1, -1, -1]
    assert state.confirmed == [True, True, True]
    # Alice's withdrawal request waits for staff; every account of the channel came over, so
    # each unit's balances add up to zero as in the ledger.
    assert (state.withdrawals_pending, state.withdrawals_paid) == (2000, 0)
    system_money = (
        state.platform + state.dividend_pool + state.release_pool + state.backing
        + state.write_off + state.gift_cards + state.withdrawals_pending + state.withdrawals_paid
    )  # fmt: skip
    assert system_money + sum(state.wallet) == 0
    assert sum(state.points) + state.points_issued + state.write_off_points == 0
    assert sum(state.contribution) + state.contribution_issued == 0


def test_a_forecast_frees_the_waiting_order_with_the_next_funding(known_history):
    result = forecast(
        known_history.channel, history_days=2, horizon=30, overrides={"dividend_ratio": "0.3"}
    )
    current, proposed = (run.figures() for run in result.runs)
    # Carol's 15 are owed and the pool holds 35 already: the first order frees her.
    assert current["waiting_at_start"] == 1
    assert current["days_until_waiting_orders_are_free"] == 1
    assert (
        current["date_waiting_orders_are_free"] == (DAY3 + datetime.timedelta(days=1)).isoformat()
    )
    assert proposed["settings"] == {"dividend_ratio": "0.3"}
    assert result.runs[1].result.scenario.config.dividend_ratio == D("0.3")
    # Same orders, a smaller share funded.
    assert current["net_revenue"] == proposed["net_revenue"]
    assert D(proposed["funded"]) < D(current["funded"])
    # Fitted on the two whole days before today: 4 orders placed, 1 cancelled.
    assert result.flow.cancel_rate == D("0.25")


def run_command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("dividend_forecast", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_saves_the_fit_and_runs_again_from_it(known_history, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    common = ["known", "--days", "2", "--horizon", "20", "--set", "free_ratio=0.3", "--no-plots"]
    out, err = run_command(*common, "--out", str(first))
    assert "fitted flow  orders_per_day" in out
    assert "free_ratio=0.3:" in out and "current configuration:" in out
    assert "day 20/20 (100%)" in err
    saved = json.loads((first / "flow.json").read_text())
    assert saved["flow"]["cancel_rate"] == "0.2500"
    assert {p.name for p in first.iterdir()} >= {
        "flow.json",
        "forecast.json",
        "index.html",
        "current",
        "proposed-1",
    }
    run_command(*common, "--flow", str(first / "flow.json"), "--out", str(second))
    runs = [json.loads((d / "forecast.json").read_text())["runs"] for d in (first, second)]
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    "args, message",
    [
        (["nowhere"], "no rewards channel 'nowhere'"),
        (["known", "--days", "0"], "days must be a whole number from 1 to 3650, got 0"),
        (["known", "--horizon", "soon"], "got 'soon'"),
        (["known", "--set", "dividend_ratio"], "--set takes KEY=VALUE, got 'dividend_ratio'"),
        (["known", "--set", "dividend_rate=0.3"], "--set dividend_rate: unknown setting"),
        (["known", "--set", "dividend_ratio=lots"], "--set dividend_ratio: dividend_ratio"),
        (["known", "--set", "dividend_ratio=0.9"], "must not exceed 1"),
        (["known", "--flow", "missing.json"], "cannot read missing.json"),
    ],
)
def test_bad_flags_are_refused_and_write_nothing(known_history, tmp_path, args, message):
    out = tmp_path / "out"
    with pytest.raises(CommandError) as refused:
        run_command(*args, "--out", str(out))
    assert message in str(refused.value)
    assert not out.exists()


def test_a_rate_mode_channel_compounds_from_its_last_settled_day(make_shop, make_user, clock):
    shop = make_shop(
        slug="rated",
        point_value_mode="rate",
        point_value_initial="0.01",
        point_daily_appreciation="0.01",
        point_value_max="1",
    )
    clock.set(at(1, 10))
    shop.order(make_user("alice"), 100)
    clock.set(at(2, 0) + datetime.timedelta(minutes=30))
    settle_day(shop.channel, DAY1)
    clock.set(at(2, 9))
    snapshot = ledger_figures.channel_snapshot(shop.channel)
    assert (snapshot.scheduled_point_value, snapshot.scheduled_on) == (D("0.01"), DAY1)
    state, _ = state_from_channel(snapshot, shop.channel.settings)
    assert (state.scheduled_value, state.valued_day) == (D("0.01"), DAY1.toordinal())
    # A forecast's first day is tomorrow, day 3: the schedule grows for day 2 and for day 3.
    appreciate(state, DAY3.toordinal())
    assert state.scheduled_value == D("0.010201")
