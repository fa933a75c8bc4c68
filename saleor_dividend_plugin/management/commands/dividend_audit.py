from django.core.management.base import BaseCommand, CommandError

from saleor_dividend_plugin.audit import INVARIANTS, audit
from saleor_dividend_plugin.models import Channel


class Command(BaseCommand):
    help = "Check every rewards invariant for one channel or all; exits 1 naming what is broken."

    def add_arguments(self, parser):
        parser.add_argument("--channel", help="channel slug (default: every channel)")

    def handle(self, *args, channel=None, **options):
        channels = Channel.objects.order_by("slug")
        if channel:
            channels = channels.filter(slug=channel)
            if not channels.exists():
                raise CommandError(f"no rewards channel {channel!r}")
        results = audit(list(channels))
        if not results:
            self.stdout.write("no rewards channel is configured: nothing to check")
        broken = 0
        for slug, problems in results.items():
            if problems:
                broken += len(problems)
                self.stdout.write(self.style.ERROR(f"{slug}: {len(problems)} problem(s)"))
                for problem in problems:
                    self.stdout.write(f"  {problem}")
            else:
                self.stdout.write(
                    self.style.SUCCESS(f"{slug}: all {len(INVARIANTS)} invariants hold")
                )
        if broken:
            raise CommandError(f"audit failed: {broken} problem(s)", returncode=1)
