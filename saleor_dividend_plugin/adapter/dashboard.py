"""The live figures the Dashboard shows under a channel's settings (read-only OUTPUT fields)."""

from __future__ import annotations

from ..ledger import Accounts
from ..models import AccountKind, Channel, queue_tally
from ..money import round_down
from ..points import point_value
from ..reporting.page import LINK_MAX_AGE, link
from .host import SaleorHost

NOT_CONFIGURED = "Shown once the plugin has been saved for this channel."
NO_STAFF = "Open these settings as a staff member to get a link to the report."


def report_link(channel_slug: str, user) -> str:
    """A link to the channel's report for the staff member reading the settings (an app reading
    them gets none)."""
    if user is None or not getattr(user, "is_staff", False):
        return NO_STAFF
    minutes = LINK_MAX_AGE // 60
    url = link(SaleorHost().report_url(channel_slug), channel_slug, user.pk)
    return f"{url} (for you only, valid {minutes} minutes)"


def live_figures(channel_slug: str, user=None) -> dict[str, str]:
    figures = {
        "storefront_graphql_url": SaleorHost().graphql_url(channel_slug),
        "report": report_link(channel_slug, user),
    }
    # Shown while the plugin is switched off too: what the pools and the queue hold is still owed.
    channel = Channel.objects.filter(slug=channel_slug).first()
    if channel is None:
        return figures | dict.fromkeys(("dividend_pool", "queue", "point_value"), NOT_CONFIGURED)
    currency = channel.currency
    accounts = Accounts(channel)
    queue = queue_tally(channel)
    pool = accounts.system(AccountKind.DIVIDEND_POOL).balance
    owed = round_down(queue.remaining, currency)
    return figures | {
        "dividend_pool": f"{round_down(pool, currency):f} {currency}",
        "queue": f"{queue.waiting} waiting, {owed:f} {currency} still to pay",
        "point_value": f"{point_value(channel, accounts).normalize():f} {currency} per point",
    }
