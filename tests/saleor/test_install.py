"""The plugin as Saleor finds it: entry point, app, migrations, plugin list, tasks and beat."""

import datetime
import json

from celery.schedules import crontab
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import timezone
from saleor.celeryconf import app
from saleor.plugins.manager import get_plugins_manager
from saleor.schedulers.schedulers import DatabaseScheduler

from saleor_dividend_plugin.adapter import PLUGIN_ID
from saleor_dividend_plugin.plugin import DividendPlugin

PLUGIN = "saleor_dividend_plugin.plugin.DividendPlugin"
TASKS = {
    "saleor_dividend_plugin.tasks.sync_order_task",
    "saleor_dividend_plugin.tasks.settle_due_days",
    "saleor_dividend_plugin.tasks.settle_channel_day",
}


def test_entry_point_installs_the_app_and_lists_the_plugin():
    # Saleor appends the entry point's name to INSTALLED_APPS and its class to the plugins it
    # offers; its test settings then reset PLUGINS, which the `dividend_plugin` fixture restores.
    assert "saleor_dividend_plugin" in settings.INSTALLED_APPS
    assert PLUGIN in settings.EXTERNAL_PLUGINS


def test_saleors_plugin_urls_accept_the_plugin_id():
    kwargs = {"channel_slug": "main", "plugin_id": DividendPlugin.PLUGIN_ID}
    path = reverse("plugins-per-channel", kwargs=kwargs)
    assert path == "/plugins/channel/main/saleor_dividend_plugin/"


def test_the_plugin_is_offered_per_channel_and_off_until_enabled(dividend_plugin, channel_USD):
    plugin = get_plugins_manager(allow_replica=False).get_plugin(PLUGIN_ID, channel_USD.slug)

    assert isinstance(plugin, DividendPlugin)
    assert plugin.channel == channel_USD
    assert plugin.active is False
    settings_by_name = {item["name"]: item for item in plugin.configuration}
    assert settings_by_name["dividend_ratio"]["value"] == "0.2"
    assert settings_by_name["dividend_ratio"]["type"] == "String"
    assert settings_by_name["dividend_enabled"]["value"] is True
    assert settings_by_name["dividend_enabled"]["type"] == "Boolean"
    assert settings_by_name["tiers"]["type"] == "Multiline"
    assert settings_by_name["point_value"]["type"] == "OUTPUT"
    assert settings_by_name["dividend_ratio"]["label"] == "Dividend ratio"


def test_migrations_are_applied_with_saleors(db):
    loader = MigrationLoader(connection)
    ours = {name for app_label, name in loader.disk_migrations if app_label == PLUGIN_ID}
    applied = {name for app_label, name in loader.applied_migrations if app_label == PLUGIN_ID}

    assert ours
    assert applied == ours
    assert {"dividend_channel", "dividend_transaction", "dividend_queue_entry"} <= set(
        connection.introspection.table_names()
    )


def test_tasks_are_registered_in_saleors_celery_app():
    app.loader.import_default_modules()

    assert TASKS <= set(app.tasks)


def test_saving_a_channel_schedules_its_settlement_in_saleors_beat(configure_plugin, channel_USD):
    # django-celery-beat loads crontab entries due within about two hours, so settle "now".
    now = timezone.now().astimezone(datetime.UTC)
    configure_plugin(channel_USD, timezone="UTC", settlement_time=f"{now:%H:%M}")

    # Saleor's beat scheduler, as `celery beat --scheduler ...DatabaseScheduler` starts it.
    scheduler = DatabaseScheduler(app=app, lazy=True)
    entries = [
        entry
        for entry in scheduler.all_as_schedule().values()
        if entry.task == "saleor_dividend_plugin.tasks.settle_due_days"
    ]

    assert [json.loads(entry.model.args) for entry in entries] == [["main"]]
    schedule = entries[0].schedule
    assert isinstance(schedule, crontab)
    assert schedule.hour == {now.hour}
    assert schedule.minute == {now.minute}
    assert entries[0].model.enabled is True
