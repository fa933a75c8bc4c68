"""Celery beat registration of the daily settlement.

One periodic task per channel, on a crontab in the channel's own timezone, stored in the database
that django-celery-beat schedulers read, so that the host's beat runs it at the configured local
time and picks up changes without a restart.

Saleor's beat (`saleor.schedulers.schedulers.DatabaseScheduler`) reads only its own
`CustomPeriodicTask` rows, a multi-table child of django-celery-beat's `PeriodicTask`; a plain
`PeriodicTask` row would never run there. So the row is created through Saleor's model when
Saleor's scheduler app is installed (found by name in the app registry: the core imports no Saleor
code), and through django-celery-beat's otherwise. A `CustomPeriodicTask` is also a
`PeriodicTask`, so django-celery-beat's own scheduler runs it too.
"""

from __future__ import annotations

import json

from django.apps import apps
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from .models import Channel

TASK = "saleor_dividend_plugin.tasks.settle_due_days"
SALEOR_SCHEDULER_APP = "saleor.schedulers"


def periodic_task_model() -> type[PeriodicTask]:
    for app in apps.get_app_configs():
        if app.name == SALEOR_SCHEDULER_APP:
            return app.get_model("CustomPeriodicTask")
    return PeriodicTask


def task_name(channel: Channel) -> str:
    # The id keeps the name unique within django-celery-beat's 200 characters.
    return f"dividend settlement #{channel.pk}: {channel.slug}"[:200]


def schedule_settlement(channel: Channel) -> PeriodicTask:
    """Create or update the channel's daily settlement; it runs only while the channel is active."""
    config = channel.settings
    when = {
        "minute": str(config.settlement_time.minute),
        "hour": str(config.settlement_time.hour),
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
        "timezone": config.timezone,
    }
    crontab = CrontabSchedule.objects.filter(**when).order_by("pk").first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(**when)
    task, _ = periodic_task_model().objects.update_or_create(
        name=task_name(channel),
        defaults={
            "task": TASK,
            "crontab": crontab,
            "interval": None,
            "args": json.dumps([channel.slug]),
            "kwargs": "{}",
            "enabled": channel.active,
            "description": "Daily release, point appreciation and expiry of the days that have "
            "ended (catching up any missed ones).",
        },
    )
    return task
