import datetime

from django.core.management.base import BaseCommand, CommandError

from saleor_dividend_plugin.models import Channel
from saleor_dividend_plugin.settlement import (
    BUSY,
    SettlementError,
    first_day,
    is_settled,
    last_ended_day,
    settle_until,
)


def _day(option: str, text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} must be a day written YYYY-MM-DD, got {text!r}") from None


class Command(BaseCommand):
    help = (
        "Settle a channel's days (release, point appreciation, expiry): by default every day that "
        "has ended and is not settled yet. Days are always settled in order, so missed days "
        "before the ones asked for are caught up first; a settled day is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("channel", help="channel slug")
        parser.add_argument("--day", help="settle up to and including this day (YYYY-MM-DD)")
        parser.add_argument(
            "--from",
            dest="start",
            help="first day of a range (YYYY-MM-DD); unsettled days before it are settled first",
        )
        parser.add_argument(
            "--to", dest="end", help="last day of a range (YYYY-MM-DD; default: yesterday)"
        )

    def handle(self, *args, channel, day=None, start=None, end=None, **options):
        if day and (start or end):
            raise CommandError("give either --day or --from/--to, not both")
        if day:
            start = end = _day("--day", day)
        else:
            start = _day("--from", start) if start else None
            end = _day("--to", end) if end else None
        ch = Channel.objects.filter(slug=channel).first()
        if ch is None:
            known = ", ".join(Channel.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"no rewards channel {channel!r} (channels: {known or 'none'})")
        last = last_ended_day(ch)
        end = end or last
        if start and start > end:
            raise CommandError(f"--from {start} is after --to {end}")
        if end > last:
            raise CommandError(
                f"{end} has not ended yet in {ch.settings.timezone}: the last day that can be "
                f"settled is {last}"
            )
        first = first_day(ch)
        if first is None or first > end:
            self.stdout.write(f"{channel}: nothing to settle up to {end} (no paid order by then)")
            return
        if day and is_settled(ch, end):
            self.stdout.write(f"{channel} {end}: already settled, left as it was")
            return

        def progress(i, total, result):
            self.stdout.write(f"[{i}/{total}] {channel} {result}")

        try:
            results = settle_until(ch, end, progress=progress)
        except SettlementError as error:
            raise CommandError(str(error)) from None
        if results and results[-1].status == BUSY:
            raise CommandError(
                f"{channel}: another settlement of this channel is running (it has "
                f"{results[-1].day}); run this again once it has finished"
            )
        if not results:
            self.stdout.write(f"{channel}: every day up to {end} is already settled")
