from ...members import member_for
from ...wallet import WalletError
from ..core.validators import invalid
from ..error_codes import WALLET_CODES

IDEMPOTENCY_KEY = (
    "Any string of up to 64 letters, digits and . _ : - that identifies this request (a UUID). "
    "Sending the same request again with the same key changes nothing."
)
CURRENCY = "The currency the amount is in; when given it must be the channel currency."

# Which argument a wallet refusal is about.
_WALLET_FIELDS = {
    "INVALID_AMOUNT": "amount",
    "INSUFFICIENT_FUNDS": "amount",
    "BELOW_MINIMUM": "amount",
    "INVALID_DETAILS": "details",
    "DUPLICATE": "idempotencyKey",
    "NOT_FOUND": "id",
    "ALREADY_DECIDED": "id",
}


def wallet_error(error: WalletError, amount_field: str = "amount"):
    field = _WALLET_FIELDS.get(error.code)
    if field == "amount":
        field = amount_field
    return invalid(field, error.message, WALLET_CODES[error.code])


def customer_member(info):
    """The signed-in customer's membership in the request's channel (created on first use)."""
    context = info.context
    return member_for(context.channel, context.user.pk)


def staff_name(user) -> str:
    """How a staff member is named in the ledger and on decisions: by account number, not by
    email, because the memo of a correction shows in the customer's history."""
    return f"staff #{user.pk}"
