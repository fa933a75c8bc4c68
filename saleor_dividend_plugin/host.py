"""What the plugin needs from the store it is installed in, as plain data.

The core never imports the host: Saleor is reached through `adapter.SaleorHost`, the standalone
test/demo project through its own class, both named by the `DIVIDEND_HOST` setting.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_HOST = "saleor_dividend_plugin.adapter.host.SaleorHost"


class OrderStatus:
    OPEN = "open"  # anything that is neither cancelled nor expired
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class OrderLine:
    product_type: str
    gross: Decimal
    net: Decimal


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as the host sees it now. Charged and refunded amounts are cumulative, so a late or
    repeated event carrying an older snapshot can never undo what a newer one did."""

    order_id: str
    number: str
    channel: str
    currency: str
    user_id: Any | None
    from_checkout: bool
    status: str
    subtotal_gross: Decimal
    subtotal_net: Decimal
    total_gross: Decimal
    total_net: Decimal
    charged: Decimal
    refunded: Decimal
    created_at: datetime.datetime
    lines: tuple[OrderLine, ...] = field(default=())
    # The host's own verdict when it has one. Saleor counts gift cards as payment and takes them
    # off the total, so an order paid entirely by gift card has a total of 0 and is still paid.
    paid: bool | None = None

    @property
    def fully_paid(self) -> bool:
        if self.paid is not None:
            return self.paid
        return self.total_gross > 0 and self.charged >= self.total_gross


@dataclass(frozen=True)
class GiftCard:
    id: str
    code: str


class GiftCardsUnavailable(Exception):
    """The host cannot issue gift cards (the standalone host keeps the wallet only)."""


class Host(Protocol):
    def order_channel(self, order_id: str) -> str | None:
        """The slug of the channel order `order_id` was placed in, or None if there is no such
        order. An order event's task asks only this: the drain reads the order itself."""
        ...

    def load_orders(self, order_ids: list[str]) -> dict[str, OrderSnapshot]:
        """The orders of `order_ids` as the host sees them now, by order id; ids of orders the
        host does not have are left out. A drain reads its whole batch with one call, so a host
        reads them with one query per kind of row, not one per order."""
        ...

    def issue_gift_card(
        self, *, user_id: Any, channel: str, currency: str, amount: Decimal, note: str
    ) -> GiftCard: ...

    def authenticate(self, request) -> Any | None: ...

    def has_permission(self, user, permission: str) -> bool: ...

    def has_channel_access(self, user, channel: str) -> bool:
        """Whether staff operations of `user` may reach `channel` (a channel slug)."""
        ...

    def graphql_url(self, channel: str) -> str: ...

    def report_url(self, channel: str) -> str: ...


@cache
def _host_class(path: str):
    return import_string(path)


def get_host() -> Host:
    return _host_class(getattr(settings, "DIVIDEND_HOST", DEFAULT_HOST))()
