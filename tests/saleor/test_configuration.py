"""The Dashboard's plugin page: `pluginUpdate` per channel, validation, the live figures."""

from decimal import Decimal

import graphene
import pytest
from saleor.graphql.tests.utils import get_graphql_content
from saleor.plugins.models import PluginConfiguration

from saleor_dividend_plugin.adapter import PLUGIN_ID
from saleor_dividend_plugin.models import Channel

PLUGIN_UPDATE = """
mutation($id: ID!, $channel: ID, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, channelId: $channel, input: $input) {
    plugin { channelConfigurations { active channel { slug } configuration { name value } } }
    errors { field code message }
  }
}"""
PLUGIN_QUERY = """
query($id: ID!) {
  plugin(id: $id) { channelConfigurations { channel { slug } configuration { name value } } }
}"""


@pytest.fixture
def dashboard(dividend_plugin, staff_api_client, permission_manage_plugins, channel_USD):
    """A staff member with MANAGE_PLUGINS saving the plugin's page for the `main` channel."""
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    channel_id = graphene.Node.to_global_id("Channel", channel_USD.pk)

    def save(active=True, **values) -> dict:
        response = staff_api_client.post_graphql(
            PLUGIN_UPDATE,
            {
                "id": PLUGIN_ID,
                "channel": channel_id,
                "input": {
                    "active": active,
                    "configuration": [{"name": k, "value": v} for k, v in values.items()],
                },
            },
        )
        return get_graphql_content(response)["data"]["pluginUpdate"]

    return save


def _shown(data) -> dict[str, str]:
    (configuration,) = data["plugin"]["channelConfigurations"]
    return {item["name"]: item["value"] for item in configuration["configuration"]}


def test_a_valid_configuration_reaches_the_rewards_channel(dashboard, channel_USD):
    data = dashboard(
        dividend_ratio="0.3", payout_mode="even", even_k="2", withdrawals_enabled="true"
    )

    assert data["errors"] == []
    channel = Channel.objects.get(slug="main")
    assert channel.active is True
    assert channel.currency == "USD"
    assert channel.settings.dividend_ratio == Decimal("0.3")
    assert channel.settings.payout_mode == "even"
    assert channel.settings.even_k == 2
    assert channel.settings.withdrawals_enabled is True
    # Settings left alone keep their defaults.
    assert channel.settings.free_ratio == Decimal("1")
    saved = PluginConfiguration.objects.get(identifier=PLUGIN_ID, channel=channel_USD)
    assert saved.active is True
    assert _shown(data)["dividend_ratio"] == "0.3"
    assert _shown(data)["withdrawals_enabled"] == "true"


def test_an_invalid_value_is_refused_naming_the_field(dashboard):
    data = dashboard(dividend_ratio="1.5")

    # Saleor reports field names in camelCase.
    assert data["errors"] == [
        {
            "field": "dividendRatio",
            "code": "INVALID",
            "message": "dividend_ratio must be between 0 and 1, got 1.5",
        }
    ]
    assert not Channel.objects.filter(slug="main").exists()


def test_a_refused_change_leaves_the_saved_configuration_in_force(dashboard, channel_USD):
    dashboard(dividend_ratio="0.3")

    data = dashboard(dividend_ratio="0.9", tiers="[]")

    assert data["errors"] == [
        {
            "field": "tiers",
            "code": "INVALID",
            "message": "tiers must be a non-empty JSON list of tiers",
        }
    ]
    assert Channel.objects.get(slug="main").settings.dividend_ratio == Decimal("0.3")
    saved = PluginConfiguration.objects.get(identifier=PLUGIN_ID, channel=channel_USD)
    assert {item["name"]: item["value"] for item in saved.configuration}["dividend_ratio"] == "0.3"


def test_settings_that_together_give_away_more_than_the_order_are_refused(dashboard):
    data = dashboard(dividend_ratio="0.9", release_ratio="0.1")

    assert [(e["field"], e["code"]) for e in data["errors"]] == [("dividendRatio", "INVALID")]
    assert "must not exceed 1" in data["errors"][0]["message"]


def test_switching_off_keeps_the_channel_and_its_settings(dashboard):
    dashboard(dividend_ratio="0.25")

    data = dashboard(active=False)

    assert data["errors"] == []
    channel = Channel.objects.get(slug="main")
    assert channel.active is False
    assert channel.settings.dividend_ratio == Decimal("0.25")


def test_the_dashboard_shows_the_endpoint_and_live_figures(
    dashboard, staff_api_client, storefront, customer_user, settings
):
    # The store's public address, as Saleor builds its absolute URLs (the test settings of 3.21
    # set none, so Saleor would fall back to its test site's domain).
    settings.PUBLIC_URL = "https://example.com"
    storefront.buy(customer_user, quantity=3)

    response = staff_api_client.post_graphql(PLUGIN_QUERY, {"id": PLUGIN_ID})
    (configuration,) = get_graphql_content(response)["data"]["plugin"]["channelConfigurations"]
    shown = {item["name"]: item["value"] for item in configuration["configuration"]}

    assert shown["storefront_graphql_url"] == (
        "https://example.com/plugins/channel/main/saleor_dividend_plugin/graphql/"
    )
    # One paid order of 30.00: 20% of it waits in the pool, its own entry waits in the queue.
    assert shown["dividend_pool"] == "6.00 USD"
    assert shown["queue"] == "1 waiting, 30.00 USD still to pay"
    # Backed points: 5% of 30.00 backs the 30 points earned.
    assert shown["point_value"] == "0.05 USD per point"
    # Read-only figures are computed on reading, never stored.
    saved = PluginConfiguration.objects.get(identifier=PLUGIN_ID, channel__slug="main")
    assert {item["name"]: item["value"] for item in saved.configuration}["dividend_pool"] == ""


def test_before_the_first_save_the_dashboard_shows_where_figures_will_appear(
    dashboard, staff_api_client
):
    response = staff_api_client.post_graphql(PLUGIN_QUERY, {"id": PLUGIN_ID})
    (configuration,) = get_graphql_content(response)["data"]["plugin"]["channelConfigurations"]
    shown = {item["name"]: item["value"] for item in configuration["configuration"]}

    assert shown["storefront_graphql_url"].endswith(
        "/plugins/channel/main/saleor_dividend_plugin/graphql/"
    )
    assert shown["dividend_pool"] == "Shown once the plugin has been saved for this channel."
    assert shown["dividend_ratio"] == "0.2"
