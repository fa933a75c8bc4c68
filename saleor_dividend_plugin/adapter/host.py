"""`SaleorHost`: what the core asks of its host (`host.Host`), answered by Saleor."""

from __future__ import annotations

from django.urls import reverse
from saleor.core.utils import build_absolute_uri

from . import PLUGIN_ID, auth, channel_access, gift_cards, orders


class SaleorHost:
    order_channel = staticmethod(orders.order_channel)
    load_orders = staticmethod(orders.load_orders)
    issue_gift_card = staticmethod(gift_cards.issue_gift_card)
    authenticate = staticmethod(auth.authenticate)
    has_permission = staticmethod(auth.has_permission)
    has_channel_access = staticmethod(channel_access.has_channel_access)

    def graphql_url(self, channel: str) -> str:
        """The storefront's rewards endpoint for `channel`, served by the plugin's webhook."""
        return _plugin_url(channel, "graphql/")

    def report_url(self, channel: str) -> str:
        """The channel's report page (it needs a signed token), served by the plugin's webhook."""
        return _plugin_url(channel, "report/")


def _plugin_url(channel: str, path: str) -> str:
    base = reverse("plugins-per-channel", kwargs={"channel_slug": channel, "plugin_id": PLUGIN_ID})
    return build_absolute_uri(f"{base}{path}")
