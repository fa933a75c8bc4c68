"""`dividend-simulate` / `python -m saleor_dividend_plugin.simulator`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .report import daily_rows, summary, to_csv, to_json, to_text, write_report
from .run import Result, simulate
from .scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict

EPILOG = """\
A scenario file is JSON: {"name", "currency", "start", "days", "seed", "flow": {...},
"config": {...}}; "config" holds the channel settings as the Dashboard saves them, "flow" the
order flow (orders_per_day, monthly_growth, average_order_value, order_value_spread, customers,
returning_share, guest_share, cancel_rate, refund_rate, full_refund_share, refund_within_days,
gift_package_share, gift_package_value, referral_rate, redemption_rate, wallet_spend_rate).
See the README's Simulator section; samples are in scenarios/.

Exit status: 0 after a run (1 on a bad scenario or option); with --strict, 3 when the run
raised a sustainability warning.
"""


def _pairs(values: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"{what} takes KEY=VALUE, got {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dividend-simulate",
        description="What-if simulator: runs a channel configuration against an order flow for a\n"
        "year or more with the plugin's rules, and reports the queue, pools, point value,\n"
        "releases, liabilities and the platform's cost; warns when the configuration cannot\n"
        "sustain itself.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "scenario",
        nargs="?",
        help="scenario JSON file (default: built-in "
        "defaults: 100 orders a day, the default configuration)",
    )
    parser.add_argument("--days", type=int, help="override the scenario's number of days")
    parser.add_argument("--seed", type=int, help="override the scenario's random seed")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a channel setting, e.g. --set dividend_ratio=0.3",
    )
    parser.add_argument(
        "--flow",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an order-flow setting, e.g. --flow monthly_growth=-0.1",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "csv"),
        default="text",
        help="standard output: a text summary (default), the summary with the "
        "daily figures as JSON, or the daily figures as CSV",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="also write summary.json, daily.csv, plots and index.html to DIR",
    )
    parser.add_argument(
        "--no-plots", action="store_true", help="with --out: skip the plots (no matplotlib needed)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on standard error")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit with status 3 when a sustainability warning is raised",
    )
    return parser


def _scenario(args) -> Scenario:
    scenario = load_scenario(args.scenario) if args.scenario else scenario_from_dict({}, "default")
    if args.set:
        scenario = scenario.with_config(_pairs(args.set, "--set"))
    if args.flow:
        scenario = scenario.with_flow(_pairs(args.flow, "--flow"))
    return scenario.with_run(days=args.days, seed=args.seed)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        scenario = _scenario(args)
    except ScenarioError as error:
        parser.exit(1, f"dividend-simulate: {error}\n")
    if args.out and not args.no_plots:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.exit(
                1,
                "dividend-simulate: plots need matplotlib (pip install "
                "'saleor-dividend-plugin[demo]'), or pass --no-plots\n",
            )
    started = time.monotonic()

    def progress(day: int, result: Result) -> None:
        if args.quiet:
            return
        figures = result.days[-1]
        orders = result.tally.total.orders
        print(
            f"day {day}/{scenario.days} ({day * 100 // scenario.days}%): {orders:,} paid "
            f"orders, {figures.queue_length:,} waiting in the queue "
            f"[{time.monotonic() - started:.1f}s]",
            file=sys.stderr,
        )

    result = simulate(scenario, progress=progress)
    if args.out:
        data = write_report(result, args.out, plots=not args.no_plots)
        if not args.quiet:
            print(f"report written to {args.out}/index.html", file=sys.stderr)
    else:
        data = summary(result)
    if args.format == "json":
        sys.stdout.write(to_json({**data, "daily": daily_rows(result)}))
        sys.stdout.write("\n")
    elif args.format == "csv":
        sys.stdout.write(to_csv(daily_rows(result)))
    else:
        sys.stdout.write(to_text(data))
    return 3 if args.strict and data["warnings"] else 0
