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

    def to_json(self) -> dict:
        """The snapshot as JSON values (amounts as strings, times in ISO 8601), for the channel's
        pending events."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name, value in data.items():
            if isinstance(value, Decimal):
                data[name] = str(value)
        data["created_at"] = self.created_at.isoformat()
        data["lines"] = [[line.product_type, str(line.gross), str(line.net)] for line in self.lines]
        if self.user_id is not None and not isinstance(self.user_id, int | str):
            data["user_id"] = str(self.user_id)
        return data

    @classmethod
    def from_json(cls, data: dict) -> OrderSnapshot:
        values = dict(data)
        for name in ("subtotal_gross", "subtotal_net", "total_gross", "total_net", "charged",
                     "refunded"):  # fmt: skip
            values[name] = Decimal(values[name])
        values["created_at"] = datetime.datetime.fromisoformat(values["created_at"])
        values["lines"] = tuple(
            OrderLine(product_type, Decimal(gross), Decimal(net))
            for product_type, gross, net in values["lines"]
        )
        return cls(**values)

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
    def load_order(self, order_id: str) -> OrderSnapshot | None: ...

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
