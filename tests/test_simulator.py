"""The what-if simulator: its ledger's exact amounts, scenarios, warnings, outputs and CLI.

`test_simulator_replay.py` holds its ledger to the database path's."""

import configparser
import csv
import io
import json
import re
from decimal import Decimal as D
from pathlib import Path

import pytest

from saleor_dividend_plugin.config import parse_config
from saleor_dividend_plugin.simulator.cli import main
from saleor_dividend_plugin.simulator.engine import Engine
from saleor_dividend_plugin.simulator.report import daily_rows, summary, sustainability
from saleor_dividend_plugin.simulator.run import simulate
from saleor_dividend_plugin.simulator.scenario import (
    ScenarioError,
    load_scenario,
    scenario_from_dict,
)

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
NOON = 1_767_268_800  # 2026-01-01 12:00 UTC
DAY = 739_617  # 2026-01-01


def engine(**values) -> Engine:
    return Engine(parse_config({k: str(v) for k, v in values.items()}), "USD")


def small(name: str, **flow):
    """A sample scenario at a tenth of its size: the same dynamics, quick to run."""
    scenario = load_scenario(SCENARIOS / f"{name}.json")
    return scenario.with_flow(
        {
            "orders_per_day": scenario.flow.orders_per_day / 10,
            "customers": scenario.flow.customers // 10,
            **flow,
        }
    )


# The ledger, with amounts worked out by hand (the same cases as tests/test_lifecycle.py) -----


def test_the_pool_pays_the_head_of_the_queue_with_later_orders():
    ledger = engine()
    alice, bob = ledger.add_member(), ledger.add_member()
    first = ledger.confirm(alice, 10000, 0, NOON, DAY)
    # Alice's own 20 waits in the pool: nobody is ahead of her.
    assert (ledger.dividend_pool, ledger.wallet[alice]) == (2000, 0)
    assert (first.entry.target, first.points, first.energy) == (10000, 100, 30000)
    ledger.confirm(bob, 10000, 0, NOON + 60, DAY)
    assert (ledger.wallet[alice], ledger.dividend_pool, ledger.waiting) == (4000, 0, 2)
    # dividend 20%, release 10%, backing 5% of each order
    assert (ledger.release_pool, ledger.backing, ledger.platform) == (2000, 1000, -7000)
    assert ledger.wait_seconds == []


def test_partial_refunds_shrink_the_entry_and_claw_back_what_it_received_above_it():
    ledger = engine()
    alice, bob = ledger.add_member(), ledger.add_member()
    order = ledger.confirm(alice, 10000, 0, NOON, DAY)
    ledger.confirm(bob, 10000, 0, NOON + 60, DAY)
    ledger.refund(order, 3000)
    entry = order.entry
    assert (entry.target, entry.received) == (7000, 4000)
    assert (ledger.points[alice], ledger.energy[alice], ledger.contribution[alice]) == (
        70,
        21000,
        7000,
    )
    ledger.refund(order, 8500)
    assert (entry.target, entry.received, entry.status) == (1500, 1500, "freed")
    assert (ledger.wallet[alice], ledger.dividend_pool) == (1500, 2500)
    ledger.spend_wallet(alice, 1400)
    ledger.refund(order, 10000)
    assert (entry.target, entry.received, entry.status) == (0, 0, "cancelled")
    # 15 due back, 1 left in the wallet: 14 written off, and only the 1 given back refills the
    # pool (25 + 1), never the 14 that were spent
    assert (ledger.wallet[alice], ledger.write_off, ledger.dividend_pool) == (0, -1400, 2600)
    assert (ledger.points[alice], ledger.energy[alice], ledger.contribution[alice]) == (0, 0, 0)
    assert ledger.refund(order, 10000) is False


def test_a_clawback_the_wallet_cannot_cover_never_refills_the_pool():
    ledger = engine()
    alice, bob, carol = ledger.add_member(), ledger.add_member(), ledger.add_member()
    order = ledger.confirm(alice, 10000, 0, NOON, DAY)
    ledger.confirm(bob, 10000, 0, NOON + 60, DAY)
    assert ledger.wallet[alice] == 4000
    ledger.spend_wallet(alice, 4000)
    ledger.refund(order, 10000)
    # 40.00 due back, none left: all of it written off against the platform, none to the pool
    assert (ledger.dividend_pool, ledger.write_off, ledger.platform) == (0, -4000, -7000 + 4000)
    ledger.confirm(carol, 10000, 0, NOON + 120, DAY)
    assert ledger.wallet[bob] == 2000


def test_even_mode_splits_the_pool_among_the_first_entries():
    ledger = engine(payout_mode="even", even_k=2, dividend_ratio="0.3")
    members = [ledger.add_member() for _ in range(3)]
    for i, member in enumerate(members):
        ledger.confirm(member, 10000, 0, NOON + i, DAY)
    # The first 30 waits (nobody ahead); the second order's 30 and it pay the only waiting
    # entry 60; the third's 30 is split between the two waiting: 15 each.
    assert ledger.wallet == [7500, 1500, 0]
    ledger.confirm(None, 10001, 0, NOON + 9, DAY)  # a guest order funds 30.00 (30.003 rounded)
    assert ledger.wallet == [9000, 3000, 0]


def test_referrers_earn_along_the_chain_and_lose_the_refunded_share():
    ledger = engine()
    top, middle, buyer = ledger.add_member(), ledger.add_member(), ledger.add_member()
    ledger.set_referrer(middle, top)
    ledger.set_referrer(buyer, middle)
    order = ledger.confirm(buyer, 10000, 0, NOON, DAY)
    assert (ledger.wallet[middle], ledger.wallet[top]) == (500, 200)
    ledger.refund(order, 5000)
    assert (ledger.wallet[middle], ledger.wallet[top]) == (250, 100)
    assert ledger.platform == -(2000 + 1000 + 500 + 350)


def test_daily_release_shares_the_budget_by_weighted_contribution_within_energy():
    ledger = engine(energy_multiplier="0.01")
    small_spender, big_spender = ledger.add_member(), ledger.add_member()
    ledger.confirm(small_spender, 10000, 0, NOON, DAY)  # energy 1.00
    ledger.confirm(big_spender, 30000, 0, NOON, DAY)  # energy 3.00
    # The queue: 20 + 60 of dividend pay 80 of the small spender's 100.
    assert ledger.wallet == [8000, 0]
    # Budget 40.00 over a contribution of 400: 0.10 per unit, capped at each one's energy.
    ledger.settle(DAY, NOON + 86400)
    assert ledger.wallet == [8000 + 100, 300]
    assert (ledger.energy, ledger.release_pool) == ([0, 0], 4000 - 400)


def test_gift_packages_grant_their_tier_until_fully_refunded():
    ledger = engine(gift_package_product_types="gift", gift_package_tier="gold")
    buyer = ledger.add_member()
    order = ledger.confirm(buyer, 5000, 5000, NOON, DAY)
    assert ledger.config.tiers[ledger.tier[buyer]].code == "gold"
    assert ledger.energy[buyer] == 25000  # 50 x the gift package multiplier 5
    ledger.refund(order, 5000)
    assert ledger.config.tiers[ledger.tier[buyer]].code == "member"


def test_rate_mode_point_value_appreciates_daily_up_to_its_cap():
    ledger = engine(
        point_value_mode="rate",
        point_value_initial="0.01",
        point_daily_appreciation="0.5",
        point_value_max="0.02",
    )
    buyer = ledger.add_member()
    ledger.confirm(buyer, 100000, 0, NOON, DAY)  # backing 50.00 for 1,000 points: cap 0.05
    values = []
    for day in range(3):
        ledger.settle(DAY + day, NOON + 86400 * (day + 1))
        values.append(ledger.point_value())
    assert values == [D("0.01"), D("0.015"), D("0.02")]
    assert ledger.redeem(buyer, 1000) == 2000
    assert (ledger.points[buyer], ledger.backing) == (0, 5000 - 2000)


# Scenarios --------------------------------------------------------------------------------


def test_sample_scenarios_load_with_the_dashboards_parser():
    for name in ("steady", "growing", "declining"):
        scenario = load_scenario(SCENARIOS / f"{name}.json")
        assert scenario.name == name and scenario.days == 365
        assert scenario.config == parse_config(
            json.loads((SCENARIOS / f"{name}.json").read_text())["config"]
        )


@pytest.mark.parametrize(
    "data, message",
    [
        ({"config": {"dividend_ratio": "1.5"}}, "config.dividend_ratio: dividend_ratio must be"),
        ({"flow": {"orders_per_dya": 3}}, "flow: unknown settings orders_per_dya"),
        ({"flow": {"refund_rate": "2"}}, "flow.refund_rate is a share from 0 to 1"),
        ({"flow": {"customers": "many"}}, "flow.customers must be a whole number"),
        ({"days": 0}, "days must be a whole number from 1 to 3650"),
        ({"currency": "EURO"}, "currency must be a 3-letter code"),
        ({"color": "red"}, "unknown keys color"),
    ],
)
def test_bad_scenarios_are_refused_naming_the_field(data, message):
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(data)
    assert message in str(error.value)


def test_the_same_seed_gives_the_same_run():
    scenario = scenario_from_dict({"days": 20, "flow": {"orders_per_day": 30}})
    first, second = summary(simulate(scenario)), summary(simulate(scenario))
    assert first == second
    other = summary(simulate(scenario.with_run(seed=2)))
    assert other["orders"] != first["orders"]


# Sustainability -----------------------------------------------------------------------------


def test_declining_flow_raises_the_sustainability_warning():
    result = simulate(small("declining"))
    codes = [w.code for w in sustainability(result)]
    assert "liabilities_outrun_funding" in codes
    first, last = result.days[0], result.days[-1]
    assert last.totals.orders < first.totals.orders / 2


@pytest.mark.parametrize("name", ["steady", "growing"])
def test_steady_and_growing_flows_sustain_the_sample_configuration(name):
    result = simulate(small(name))
    assert sustainability(result) == []
    data = summary(result)
    assert D(data["queue"]["share_freed"]) > D("0.99")


def test_a_free_order_for_everyone_makes_the_queue_grow_without_bound():
    scenario = small("steady", customers=20000).with_config(
        {"free_ratio": "1", "queue_max_length": "100000"}
    )
    result = simulate(scenario)
    warnings = {w.code: w.message for w in sustainability(result)}
    assert "grows without bound" in warnings["queue_unbounded"]
    assert D(summary(result)["queue"]["share_freed"]) < D("0.3")


def test_a_queue_held_back_by_the_per_customer_limit_still_does_not_clear():
    # 1,200 customers with at most 3 entries each: the queue stops growing at about 3,600, but
    # an order that joins it waits well over a year.
    scenario = small("steady").with_config({"free_ratio": "1"})
    result = simulate(scenario)
    assert [w.code for w in sustainability(result)] == ["queue_backlog"]
    assert int(summary(result)["days_of_funding"]["queue_backlog"]["end"]) > 365


def test_a_queue_at_its_length_limit_is_reported():
    scenario = small("steady").with_config({"free_ratio": "1", "queue_max_length": "500"})
    warnings = {w.code for w in sustainability(simulate(scenario.with_run(days=90)))}
    assert "queue_full" in warnings


# Figures and outputs -----------------------------------------------------------------------


def test_daily_figures_add_up_to_the_summary():
    result = simulate(scenario_from_dict({"days": 30, "flow": {"orders_per_day": 40}}))
    rows, data = daily_rows(result), summary(result)
    assert len(rows) == 30
    assert sum(r["revenue"] for r in rows) == D(data["orders"]["revenue"])
    assert sum(r["released"] for r in rows) == D(data["released"])
    assert rows[-1]["liabilities"] == D(data["liabilities"]["total"])
    assert D(data["liabilities"]["total"]) == sum(
        D(data["liabilities"][k]) for k in ("wallets", "points_worth", "unreleased_energy")
    )
    # Everything funded is in a wallet, a pool, a gift card or written off.
    e = result.engine
    assert (
        -e.platform
        == sum(e.wallet)
        + e.dividend_pool
        + e.release_pool
        + e.backing
        + (e.gift_cards)
        - e.write_off
    )


def test_cli_writes_json_csv_and_a_report_with_plots(tmp_path, capsys):
    args = [
        str(SCENARIOS / "declining.json"),
        "--days",
        "60",
        "--flow",
        "orders_per_day=30",
        "--flow",
        "customers=400",
        "--quiet",
    ]
    assert main([*args, "--format", "json", "--out", str(tmp_path / "report")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenario"]["days"] == 60 and len(data["daily"]) == 60
    assert data["scenario"]["config"]["dividend_ratio"] == "0.2"
    files = {p.name for p in (tmp_path / "report").iterdir()}
    assert {"summary.json", "daily.csv", "index.html", "queue.png", "liabilities.png"} <= files
    assert set(data["plots"]) <= files and len(data["plots"]) == 8

    assert main([*args, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 60 and rows[0]["date"] == "2026-01-01"

    assert main([*args, "--set", "free_ratio=1", "--strict"]) == 3
    assert "WARNING: this configuration cannot sustain itself" in capsys.readouterr().out


def test_cli_without_matplotlib_needs_no_plots(tmp_path, capsys):
    assert main(["--days", "5", "--quiet", "--out", str(tmp_path), "--no-plots"]) == 0
    assert not list(tmp_path.glob("*.png"))
    assert "No sustainability warning" in capsys.readouterr().out


def test_cli_help_and_bad_input(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert "scenario" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["--set", "payout_mode=random"])
    assert done.value.code == 1
    assert "config.payout_mode" in capsys.readouterr().err


def test_cli_reports_progress_on_stderr(capsys):
    assert main(["--days", "20", "--flow", "orders_per_day=10"]) == 0
    progress = capsys.readouterr().err.splitlines()
    assert progress[0].startswith("day 2/20 (10%)") and progress[-1].startswith("day 20/20 (100%)")


def test_console_script_is_declared():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    scripts = cfg["options.entry_points"]["console_scripts"]
    assert "dividend-simulate = saleor_dividend_plugin.simulator.cli:main" in scripts


@pytest.mark.slow
def test_the_readmes_sample_outputs_are_what_the_simulator_prints(capsys):
    readme = (ROOT / "README.md").read_text()
    samples = re.findall(r"^\$ dividend-simulate (.+)\n((?:(?!\$ |```).*\n)+)", readme, re.M)
    assert len(samples) == 3
    for command, shown in samples:
        assert main([str(ROOT / a) if a.endswith(".json") else a for a in command.split()]) == 0
        printed = capsys.readouterr().out.splitlines()
        lines = [line for line in shown.splitlines() if line.strip() and line.strip() != "..."]
        assert set(lines) <= set(printed), command
