import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from saleor_dividend_plugin.reporting.forecast import (
    DEFAULT_HISTORY_DAYS,
    DEFAULT_HORIZON,
    ForecastError,
    forecast,
    read_flow,
    text,
    write_forecast,
)
from saleor_dividend_plugin.reporting.live import ReportError, find_channel, parse_days
from saleor_dividend_plugin.reporting.report import can_plot


def _pairs(values: list[str]) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--set takes KEY=VALUE, got {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


class Command(BaseCommand):
    help = (
        "Forecast a channel: fit the simulator's order flow to its last N days, start the "
        "simulator from the channel as it stands (queue, pools, balances, point lots, tiers, "
        "point value) and run it forward for the current configuration and, with --set, for a "
        "proposed one. Prints and saves the fitted parameters (flow.json: pass it to --flow to "
        "run again with them), the comparison and a report with plots per run."
    )

    def add_arguments(self, parser):
        parser.add_argument("channel", help="channel slug")
        parser.add_argument(
            "--days",
            default=str(DEFAULT_HISTORY_DAYS),
            help=f"fit the flow of the last N whole days (default {DEFAULT_HISTORY_DAYS})",
        )
        parser.add_argument(
            "--horizon",
            default=str(DEFAULT_HORIZON),
            help=f"days to run forward from tomorrow (default {DEFAULT_HORIZON})",
        )
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="a proposed setting, e.g. --set dividend_ratio=0.3 (repeat for more)",
        )
        parser.add_argument("--flow", type=Path, metavar="FILE", help="a saved flow.json")
        parser.add_argument("--seed", type=int, default=1, help="random seed of the order flow")
        parser.add_argument("--out", required=True, type=Path, metavar="DIR")
        parser.add_argument(
            "--no-plots", action="store_true", help="skip the plots (no matplotlib needed)"
        )

    def handle(self, *args, channel, days, horizon, set, flow, seed, out, no_plots, **options):
        overrides = _pairs(set)
        try:
            days, horizon = parse_days(days), parse_days(horizon)
            ch = find_channel(channel)
            flow = read_flow(flow) if flow else None
        except (ReportError, ForecastError) as error:
            raise CommandError(str(error)) from None
        if not no_plots and not can_plot():
            raise CommandError(
                "plots need matplotlib (pip install 'saleor-dividend-plugin[demo]'), "
                "or pass --no-plots"
            )
        started = time.monotonic()
        self.stderr.write(
            f"{channel}: " + ("flow from the file" if flow else f"fitting the last {days} days")
        )

        def progress(label, day, result):
            self.stderr.write(
                f"{label}: day {day}/{horizon} ({day * 100 // horizon}%), "
                f"{result.tally.total.orders:,} paid orders, {result.state.waiting:,} waiting "
                f"[{time.monotonic() - started:.1f}s]"
            )

        try:
            result = forecast(
                ch,
                history_days=days,
                horizon=horizon,
                overrides=overrides,
                flow=flow,
                seed=seed,
                progress=progress,
            )
        except (ForecastError, ReportError) as error:
            raise CommandError(str(error)) from None
        write_forecast(result, out, plots=not no_plots)
        self.stderr.write(f"{channel}: forecast written to {out}/index.html")
        self.stdout.write(text(result))
