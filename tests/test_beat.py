"""Registration of the daily settlement with Celery beat (django-celery-beat's database)."""

import datetime
import json
import zoneinfo

from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from saleor_dividend_plugin.beat import TASK, periodic_task_model, task_name
from saleor_dividend_plugin.channels import configure_channel
from standalone_host.celery import app

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def settlement_task(channel) -> PeriodicTask:
    return PeriodicTask.objects.select_related("crontab").get(name=task_name(channel))


def test_configuring_a_channel_schedules_its_settlement_at_its_local_time(db):
    channel = configure_channel(
        "web", "USD", {"settlement_time": "03:30", "timezone": "Asia/Tokyo"}, active=True
    )

    task = settlement_task(channel)

    assert task.task == TASK == "saleor_dividend_plugin.tasks.settle_due_days"
    assert (json.loads(task.args), json.loads(task.kwargs)) == (["web"], {})
    assert task.enabled
    assert task.interval is None
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_week, cron.day_of_month, cron.month_of_year) == (
        "30",
        "3",
        "*",
        "*",
        "*",
    )
    assert str(cron.timezone) == "Asia/Tokyo"


def test_reconfiguring_updates_the_same_task(db):
    first = configure_channel("web", "USD", {}, active=True)
    cron = settlement_task(first).crontab
    assert (cron.hour, cron.minute) == ("0", "15")  # the defaults: 00:15 UTC
    configure_channel("other", "EUR", {"settlement_time": "01:00"}, active=True)

    channel = configure_channel(
        "web", "USD", {"settlement_time": "22:05", "timezone": "Europe/Berlin"}, active=True
    )

    task = settlement_task(channel)
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "22",
        "5",
        "Europe/Berlin",
    )
    assert PeriodicTask.objects.filter(task=TASK).count() == 2
    assert json.loads(task.args) == ["web"]


def test_an_inactive_channel_is_not_settled_by_beat(db):
    channel = configure_channel("web", "USD", {}, active=False)
    assert not settlement_task(channel).enabled
    configure_channel("web", "USD", {}, active=True)
    assert settlement_task(channel).enabled
    configure_channel("web", "USD", {}, active=False)
    assert not settlement_task(channel).enabled


def test_the_scheduled_task_is_registered_in_the_host_celery_app():
    app.loader.import_default_modules()
    assert TASK in app.tasks
    assert app.tasks[TASK].name == TASK
    # Outside Saleor the plain django-celery-beat model; in Saleor its CustomPeriodicTask
    assert periodic_task_model() is PeriodicTask


def test_beat_runs_it_next_at_the_settlement_time_in_the_channel_timezone(db):
    # django-celery-beat loads only crontabs due within about two hours of now: use this hour
    local = timezone.now().astimezone(TOKYO)
    when = (local + datetime.timedelta(minutes=30)).replace(second=0, microsecond=0)
    channel = configure_channel(
        "web", "USD", {"settlement_time": when.strftime("%H:%M"), "timezone": "Asia/Tokyo"}, True
    )

    entry = DatabaseScheduler(app=app, lazy=True).all_as_schedule()[task_name(channel)]

    assert (entry.task, entry.args) == (TASK, ["web"])
    assert entry.schedule.tz == TOKYO
    # As beat's is_due does: the last run in the schedule's timezone
    last_run = timezone.now().astimezone(entry.schedule.tz)
    next_run = last_run + entry.schedule.remaining_estimate(last_run)
    assert abs(next_run - when) < datetime.timedelta(seconds=5)
