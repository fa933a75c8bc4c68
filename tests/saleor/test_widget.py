"""The storefront widget inside Saleor: its script at the channel's plugin URL, and the answer
to an expired token that its refresh relies on."""

import datetime

from saleor_dividend_plugin.widget import SCRIPT, widget_version

from .storefront import REWARDS_URL, post_rewards

PLUGIN_URL = REWARDS_URL.removesuffix("graphql/")


def test_the_script_is_served_at_the_channels_plugin_url(rewards_channel, client):
    short = client.get(f"{PLUGIN_URL}widget.js")

    assert short.status_code == 302
    assert short["Location"] == f"widget.{widget_version()}.js"
    assert short["Cache-Control"] == "public, max-age=300"

    script = client.get(f"{PLUGIN_URL}{short['Location']}")

    assert script.status_code == 200
    assert script.content == SCRIPT.read_bytes()
    assert script["Content-Type"] == "text/javascript; charset=utf-8"
    assert script["Cache-Control"] == "public, max-age=31536000, immutable"
    assert script["Access-Control-Allow-Origin"] == "*"


def test_no_script_where_the_plugin_is_inactive(configure_plugin, channel_USD, client):
    configure_plugin(channel_USD, active=False)

    assert client.get(f"{PLUGIN_URL}widget.js").status_code == 404


def test_an_expired_saleor_token_is_told_apart_so_the_widget_refreshes_it(
    storefront, customer_user, client, settings
):
    from saleor.core.jwt import create_access_token

    settings.JWT_TTL_ACCESS = datetime.timedelta(seconds=-60)
    expired = create_access_token(customer_user)
    settings.JWT_TTL_ACCESS = datetime.timedelta(minutes=5)
    fresh = create_access_token(customer_user)

    refused = post_rewards(client, "{ rewardAccount { points } }", expired)
    answered = post_rewards(client, "{ rewardAccount { points } }", fresh)

    assert refused.status_code == 401
    [error] = refused.json()["errors"]
    assert error["extensions"]["exception"]["code"] == "ExpiredSignatureError"
    assert answered.status_code == 200
    assert answered.json()["data"] == {"rewardAccount": {"points": "0"}}
