import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from saleor_dividend_plugin.reporting.live import (
    DEFAULT_DAYS,
    ReportError,
    channel_report,
    find_channel,
    parse_days,
)
from saleor_dividend_plugin.reporting.report import can_plot, write_report


class Command(BaseCommand):
    help = (
        "Write a channel's rewards report from its ledger: summary.json, daily.csv, plots and "
        "index.html in DIR. Daily orders, revenue, funding, payouts, releases, redemptions, "
        "clawbacks and write-offs; the queue and how long its orders wait; liabilities, pools, "
        "point value, tiers and top referrers."
    )

    def add_arguments(self, parser):
        parser.add_argument("channel", help="channel slug")
        parser.add_argument(
            "--days", default=str(DEFAULT_DAYS), help=f"the last N days (default {DEFAULT_DAYS})"
        )
        parser.add_argument("--out", required=True, type=Path, metavar="DIR")
        parser.add_argument(
            "--no-plots", action="store_true", help="skip the plots (no matplotlib needed)"
        )

    def handle(self, *args, channel, days, out, no_plots=False, **options):
        try:
            days = parse_days(days)
            ch = find_channel(channel)
        except ReportError as error:
            raise CommandError(str(error)) from None
        if not no_plots and not can_plot():
            raise CommandError(
                "plots need matplotlib (pip install 'saleor-dividend-plugin[demo]'), "
                "or pass --no-plots"
            )
        started = time.monotonic()
        self.stderr.write(f"{channel}: reading the last {days} days from the ledger")
        report = channel_report(ch, days)
        self.stderr.write(
            f"{channel}: figures read [{time.monotonic() - started:.1f}s]; "
            + ("writing the report" if no_plots else "drawing the plots")
        )
        write_report(report, out, plots=not no_plots)
        self.stderr.write(
            f"{channel}: report written to {out}/index.html [{time.monotonic() - started:.1f}s]"
        )
        self.stdout.write(report.text)
