"""Checks of what a client sends, before any service sees it. Business rules (balances,
minimums, limits) stay in the services; these only make sure an input means something."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from graphql_relay import from_global_id

from ...models import Channel
from ...money import InvalidAmount, parse_amount, parse_points
from ..error_codes import RewardErrorCode

_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def invalid(
    field: str | None, message: str, code: RewardErrorCode = RewardErrorCode.INVALID
) -> ValidationError:
    """A refusal to report in a mutation's `errors`; `field` None: the request as a whole."""
    return ValidationError({field or NON_FIELD_ERRORS: ValidationError(message, code=code.value)})


def clean_amount(amount: Decimal, channel: Channel, *, field="amount", signed=False) -> Decimal:
    """A money amount in the channel currency (`money.parse_amount`)."""
    try:
        return parse_amount(amount, channel.currency, signed=signed)
    except InvalidAmount as error:
        raise invalid(field, error.message, RewardErrorCode.INVALID_AMOUNT) from None


def clean_points(points: Decimal, *, field="points", signed=False) -> Decimal:
    """A number of points (`money.parse_points`)."""
    try:
        return parse_points(points, signed=signed)
    except InvalidAmount as error:
        raise invalid(field, error.message, RewardErrorCode.INVALID_AMOUNT) from None


def clean_currency(currency: str | None, channel: Channel) -> None:
    """Amounts are always in the channel currency; a client that names another one is refused
    rather than converted."""
    if currency is not None and currency.strip().upper() != channel.currency:
        raise invalid(
            "currency",
            f"This channel works in {channel.currency}, not {currency[:8]}.",
            RewardErrorCode.INVALID_CURRENCY,
        )


def clean_text(value: str | None, field: str, *, required: bool, max_length=255) -> str:
    value = (value or "").strip()
    if required and not value:
        raise invalid(field, "This field is required.", RewardErrorCode.REQUIRED)
    if len(value) > max_length:
        raise invalid(field, f"At most {max_length} characters.")
    if not storable(value):
        raise invalid(field, "The text contains characters that cannot be stored.")
    return value


def storable(value: str) -> bool:
    """Whether PostgreSQL can hold `value`: no NUL, and no lone UTF-16 surrogate (which
    graphql-core 2 leaves in strings sent as escaped surrogate pairs)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def clean_idempotency_key(value: str | None) -> str:
    """The client's key for this request, or a fresh one: a request without a key is never
    taken for a retry."""
    if value is None:
        return uuid.uuid4().hex
    if not _KEY.match(value):
        raise invalid(
            "idempotencyKey", "Use 1 to 64 letters, digits and . _ : - (a UUID is a good choice)."
        )
    return value


def ledger_key(channel: Channel, member, mutation: str, idempotency_key: str) -> str:
    """The ledger's idempotency key of one mutation request. A client that retries with the same
    `idempotencyKey` gets the same ledger key, so the retry posts nothing."""
    return f"gql:{channel.pk}:{member.pk}:{mutation}:{idempotency_key}"


def decode_id(global_id: str, type_name: str, field: str = "id") -> int:
    """The primary key inside a global ID of `type_name`."""
    try:
        kind, pk = from_global_id(global_id)
    except (ValueError, TypeError, UnicodeError):
        kind, pk = None, None
    if kind != type_name or not re.fullmatch(r"[0-9]{1,18}", pk or ""):
        raise invalid(field, f"Not a {type_name} ID: {global_id[:80]!r}.")
    return int(pk)
