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
from saleor_dividend_plugin.kernel.state import ChannelState
from saleor_dividend_plugin.simulator.cli import main
from saleor_dividend_plugin.simulator.report import daily_rows, summary, sustainability
from saleor_dividend_plugin.simulator.run import simulate
from saleor_dividend_plugin.simulator.scenario import (
    ScenarioError,
    load_scenario,
    scenario_from_dict,
)

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


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
    e = result.state
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


def test_a_run_starts_from_a_given_channel_state():
    scenario = scenario_from_dict({"days": 10, "flow": {"orders_per_day": 20, "customers": 30}})
    state = ChannelState(scenario.config, scenario.currency)
    # Two customers who ordered before: one holds credit, one energy to be released.
    rich = state.add_member(wallet=5000, contribution=20000, confirmed=True)
    state.add_member(energy=10000, contribution=10000, confirmed=True)
    state.platform, state.energy_issued, state.contribution_issued = -5000, -10000, -30000
    state.release_pool, state.platform = 2000, -7000
    result = simulate(scenario, state=state)
    assert result.state is state and state.member_count() == 30
    assert result.days[0].members >= 2 and result.tally.total.released > 0
    assert state.contribution[rich] >= 20000
    with pytest.raises(ValueError):
        simulate(scenario.with_run(days=1), state=ChannelState(scenario.config, "EUR"))
