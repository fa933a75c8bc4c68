"""The Dashboard's "Report" field: a link signed for the staff member reading the settings, which
opens the report of that channel at the plugin's URL, and only while it is fresh and unaltered."""

from urllib.parse import parse_qs, urlsplit

from django.core import signing
from saleor.graphql.tests.utils import get_graphql_content

from saleor_dividend_plugin.adapter import PLUGIN_ID
from saleor_dividend_plugin.reporting.page import LINK_MAX_AGE, REFUSED, SALT

from .test_configuration import PLUGIN_QUERY

REPORT_PATH = "/plugins/channel/main/saleor_dividend_plugin/report/"


def shown_report(staff_api_client, permission_manage_plugins) -> str:
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    response = staff_api_client.post_graphql(PLUGIN_QUERY, {"id": PLUGIN_ID})
    (configuration,) = get_graphql_content(response)["data"]["plugin"]["channelConfigurations"]
    return {item["name"]: item["value"] for item in configuration["configuration"]}["report"]


def test_the_dashboard_links_the_staff_member_to_the_channel_report(
    storefront, customer_user, staff_api_client, permission_manage_plugins, client, settings
):
    # The store's public address, as Saleor builds its absolute URLs (the test settings of 3.21
    # set none, so Saleor would fall back to its test site's domain).
    settings.PUBLIC_URL = "https://example.com"
    storefront.buy(customer_user, quantity=3)

    shown = shown_report(staff_api_client, permission_manage_plugins)

    url, note = shown.split(" ", 1)
    assert note == f"(for you only, valid {LINK_MAX_AGE // 60} minutes)"
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"https://example.com{REPORT_PATH}"
    [token] = parse_qs(parts.query)["token"]
    claims = signing.TimestampSigner(salt=SALT).unsign_object(token)
    assert claims == {"channel": "main", "user": staff_api_client.user.pk}

    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Rewards report: channel main" in body
    # One paid order of 30.00; 20% of it waits in the pool.
    assert "1 paid, 0 cancelled; revenue 30.00" in body
    assert "pools       dividend 6.00" in body


def test_a_forged_or_foreign_link_shows_nothing(
    rewards_channel, staff_api_client, permission_manage_plugins, client, customer_user
):
    shown = shown_report(staff_api_client, permission_manage_plugins)
    [token] = parse_qs(urlsplit(shown.split(" ", 1)[0]).query)["token"]
    forged = signing.TimestampSigner(salt="elsewhere").sign_object(
        {"channel": "main", "user": staff_api_client.user.pk}
    )
    for_customer = signing.TimestampSigner(salt=SALT).sign_object(
        {"channel": "main", "user": customer_user.pk}
    )
    for bad in (forged, for_customer, token[:-3] + "abc"):
        response = client.get(REPORT_PATH, {"token": bad})
        assert response.status_code == 403
        assert response.content.decode() == REFUSED
