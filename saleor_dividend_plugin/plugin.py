"""The Saleor plugin: per-channel settings in the Dashboard, the order hooks and the storefront's
GraphQL endpoint. Saleor finds it through the `saleor.plugins` entry point.

Saleor imports this module at start-up in every process (API, worker, beat, `manage.py`); the
GraphQL schema is built on the first request to the endpoint instead.
"""

from __future__ import annotations

import logging

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.http import HttpResponseNotFound
from saleor.core.db.connection import allow_writer
from saleor.order import OrderOrigin
from saleor.plugins.base_plugin import BasePlugin, ConfigurationTypeField
from saleor.plugins.error_codes import PluginErrorCode

from . import events
from .adapter import PLUGIN_ID
from .adapter.dashboard import live_figures
from .channels import configure_channel
from .config import FIELD_NAMES, FIELDS, ConfigError, parse_config

logger = logging.getLogger(__name__)

FIELD_TYPES = {"bool": ConfigurationTypeField.BOOLEAN, "tiers": ConfigurationTypeField.MULTILINE}
# Read-only figures under the settings; their values are computed when the Dashboard reads the
# configuration (`resolve_plugin_configuration`) and never stored.
OUTPUTS = {
    "storefront_graphql_url": (
        "Storefront GraphQL URL",
        "Where the storefront reads and uses rewards in this channel: POST GraphQL queries with "
        "the customer's Saleor token (Authorization: Bearer …). Open it in a browser for a "
        "playground.",
    ),
    "dividend_pool": (
        "Dividend pool",
        "Funded by paid orders; pays the free-order queue from its head.",
    ),
    "queue": ("Free-order queue", "Paid orders waiting for their money back as store credit."),
    "point_value": ("Point value today", "What one point redeems for today."),
    "report": (
        "Report",
        "This channel's rewards report with plots (payouts, queue, liabilities, tiers, "
        "referrers): open the link in a browser. It is signed for you and expires shortly; "
        "reopen these settings for a new one.",
    ),
}


def _default(field) -> str | bool:
    # Saleor stores Boolean settings as booleans once saved; start them the same way.
    return field.default == "true" if field.kind == "bool" else field.default


def _settings(configuration) -> dict[str, str]:
    """The saved settings as the text the parser reads (Saleor turns Boolean ones into bools)."""
    values = {}
    for item in configuration or ():
        name, value = item.get("name"), item.get("value")
        if name in FIELD_NAMES and value is not None:
            values[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return values


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=PluginErrorCode.INVALID.value)})


class DividendPlugin(BasePlugin):
    PLUGIN_ID = PLUGIN_ID
    PLUGIN_NAME = "Dividend & rewards"
    PLUGIN_DESCRIPTION = (
        "Order dividend and consumption value-added rewards: a free-order queue funded by later "
        "orders, appreciating points, daily releases of store credit and honorary tiers."
    )
    CONFIGURATION_PER_CHANNEL = True
    DEFAULT_ACTIVE = False
    DEFAULT_CONFIGURATION = [{"name": f.name, "value": _default(f)} for f in FIELDS] + [
        {"name": name, "value": ""} for name in OUTPUTS
    ]
    CONFIG_STRUCTURE = {
        **{
            f.name: {
                "type": FIELD_TYPES.get(f.kind, ConfigurationTypeField.STRING),
                "label": f.label,
                "help_text": f.help,
            }
            for f in FIELDS
        },
        **{
            name: {"type": ConfigurationTypeField.OUTPUT, "label": label, "help_text": help_text}
            for name, (label, help_text) in OUTPUTS.items()
        },
    }

    @classmethod
    def validate_plugin_configuration(cls, plugin_configuration, **kwargs):
        try:
            parse_config(_settings(plugin_configuration.configuration))
        except ConfigError as error:
            raise _invalid(error.field, error.message) from error

    @classmethod
    def save_plugin_configuration(cls, plugin_configuration, cleaned_data):
        # Saleor's row and the plugin's channel are saved together or not at all.
        with transaction.atomic():
            plugin_configuration = super().save_plugin_configuration(
                plugin_configuration, cleaned_data
            )
            channel = plugin_configuration.channel
            try:
                configure_channel(
                    channel.slug,
                    channel.currency_code,
                    _settings(plugin_configuration.configuration),
                    plugin_configuration.active,
                )
            except ValueError as error:
                raise _invalid(getattr(error, "field", NON_FIELD_ERRORS), str(error)) from error
        return plugin_configuration

    def resolve_plugin_configuration(self, request):
        if self.channel is None:
            return self.configuration
        try:
            # The figures live in the primary database, which Saleor wants named explicitly.
            with allow_writer():
                # Saleor's GraphQL context: `user` is the staff member reading the settings
                # (None for an app).
                figures = live_figures(self.channel.slug, getattr(request, "user", None))
        except DatabaseError:
            # Not migrated yet, or the database is struggling: the settings page must still open.
            logger.exception("could not read the rewards figures of channel %s", self.channel.slug)
            return self.configuration
        return [
            {**item, "value": figures[item["name"]]} if item["name"] in figures else item
            for item in self.configuration
        ]

    # Order hooks. Saleor calls them inside its own work on the order (checkout completion,
    # payment webhooks, staff actions) with nothing to catch what they raise, so each one only
    # schedules the order's sync for after the commit: no query, no exception. They schedule
    # whatever the channel's state: the drain decides, since an inactive channel still applies
    # refunds and cancellations of the orders it recorded (and records nothing new). Saleor calls
    # only active plugins; what changes while the plugin is off is caught up when it is switched
    # on again (`tasks.catch_up_channel`).

    def _order_changed(self, order, previous_value, event: str):
        try:
            # Saleor runs a per-channel plugin's hooks on the instance of the order's channel,
            # which it has loaded: the slug spares the deferred work a query of the order.
            events.order_changed(order.id, self.channel.slug if self.channel else None)
        except Exception:
            logger.exception("could not schedule the rewards sync of order %s (%s)", order, event)
        return previous_value

    def order_created(self, order, previous_value, webhooks=None):
        # Drafts, reissues and imports earn nothing; only checkout orders need a sync.
        if getattr(order, "origin", None) != OrderOrigin.CHECKOUT:
            return previous_value
        return self._order_changed(order, previous_value, "order_created")

    def order_paid(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value, "order_paid")

    def order_fully_paid(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value, "order_fully_paid")

    def order_refunded(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value, "order_refunded")

    def order_fully_refunded(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value, "order_fully_refunded")

    def order_cancelled(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value, "order_cancelled")

    def order_expired(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value, "order_expired")

    def webhook(self, request, path: str, previous_value):
        """`/plugins/channel/<channel-slug>/saleor_dividend_plugin/graphql/`: the channel's
        rewards API (GET: playground, POST: queries, OPTIONS: CORS preflight);
        `…/widget.js`: the storefront rewards panel; `…/report/`: the channel's report page, for a
        signed link from the Dashboard."""
        if not self.active or self.channel is None:
            return previous_value
        from .widget import widget_response

        if (script := widget_response(request, path)) is not None:
            return script
        if path.rstrip("/") == "/report":
            from .reporting.page import report_response

            return report_response(request, self.channel.slug)
        if path.rstrip("/") != "/graphql":
            return HttpResponseNotFound()
        from .graphql.views import handle_graphql_request

        return handle_graphql_request(request, self.channel.slug)
