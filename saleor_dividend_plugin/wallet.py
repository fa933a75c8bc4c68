"""The wallet (DESIGN §10): store credit a member spends as a gift card or asks staff to pay out,
and staff corrections of wallets and points.

Every function works under the channel lock inside one database transaction: the rules
kernel decides (`kernel.events`: convert, withdraw, decide_withdrawal, adjust, redeem) on a
one-member slice, and the slice posts what it moved under the caller's idempotency key. A key
that was posted before raises WalletError("DUPLICATE") and changes nothing, so a retried request
can never pay twice; the caller reads the outcome of the first request from the member's
history.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from . import points as points_module
from .channel_slice import ChannelSlice
from .host import GiftCardsUnavailable, get_host
from .kernel import events
from .ledger import already_posted
from .locks import lock_channel
from .models import (
    GiftCardIssue,
    LedgerTransaction,
    Member,
    Withdrawal,
    WithdrawalStatus,
)
from .money import InvalidAmount, parse_amount, parse_points

# What points.redeem says, in the wallet's words.
_REDEMPTION_CODES = {
    "INVALID": "INVALID_AMOUNT",
    "BELOW_MINIMUM": "BELOW_MINIMUM",
    "INSUFFICIENT": "INSUFFICIENT_FUNDS",
    "WORTHLESS": "BELOW_MINIMUM",
    "DUPLICATE": "DUPLICATE",
}
# What the kernel's refusals say, in the wallet's words.
_REFUSAL_CODES = {"INVALID": "INVALID_AMOUNT", "INSUFFICIENT": "INSUFFICIENT_FUNDS"}
_DETAILS_LENGTH = Withdrawal._meta.get_field("details").max_length


class WalletError(ValueError):
    """codes: INVALID_AMOUNT, INSUFFICIENT_FUNDS, BELOW_MINIMUM, WITHDRAWALS_DISABLED,
    GIFT_CARDS_UNAVAILABLE, NOT_FOUND, ALREADY_DECIDED, DUPLICATE, INVALID_DETAILS"""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def money_amount(value, currency: str, *, signed: bool = False) -> Decimal:
    """`value` as an amount of `currency` (`money.parse_amount`). Raises WalletError
    INVALID_AMOUNT."""
    try:
        return parse_amount(value, currency, signed=signed)
    except InvalidAmount as error:
        raise WalletError("INVALID_AMOUNT", error.message) from None


def _points_amount(value) -> Decimal:
    try:
        return parse_points(value, signed=True)
    except InvalidAmount as error:
        raise WalletError("INVALID_AMOUNT", error.message) from None


def _not_replayed(*keys: str) -> None:
    if any(already_posted(key) for key in keys):
        raise WalletError("DUPLICATE", "This request was already carried out.")


def _request(work: ChannelSlice, member: Member, key: str, memo: str, event, *args) -> dict:
    """Apply one request of `member` to the kernel (`event(state, member, *args, ref, fx)`) and
    post what it moved under `key`; a refusal raises WalletError and writes nothing. Returns the
    posted transactions' ids by key."""
    ref = work.request(key, member.pk, memo)
    try:
        event(work.state, work.index[member.pk], *args, ref, work.fx)
    except events.Refused as refused:
        raise WalletError(_REFUSAL_CODES.get(refused.code, refused.code), refused.message) from None
    posted = work.write_postings({}, work.day)
    work.write_lots()
    return posted


def convert_to_gift_card(member: Member, amount, *, key: str) -> GiftCardIssue:
    """Move `amount` from the wallet into a host gift card assigned to the customer.

    The posting and the host's gift card are made in one transaction: if the host cannot issue
    the card, nothing is posted.
    """
    channel = member.channel
    amount = money_amount(amount, channel.currency)
    with transaction.atomic():
        lock_channel(channel.pk)
        _not_replayed(key)
        if member.user_id is None:
            raise WalletError("NOT_FOUND", "The customer account no longer exists.")
        work = ChannelSlice.for_member(member)
        memo = f"gift card of {amount:f}"
        _request(work, member, key, memo, events.convert, work.minor(amount))
        try:
            card = get_host().issue_gift_card(
                user_id=member.user_id,
                channel=channel.slug,
                currency=channel.currency,
                amount=amount,
                note="Store credit from the rewards wallet",
            )
        except GiftCardsUnavailable as error:
            raise WalletError("GIFT_CARDS_UNAVAILABLE", str(error)) from None
        return GiftCardIssue.objects.create(
            member=member, amount=amount, gift_card_id=card.id, code=card.code
        )


def redeem_points_to_gift_card(member: Member, points, *, key: str) -> GiftCardIssue:
    """Redeem `points` and turn the whole credit into a gift card, both or neither.

    Posts the redemption under `<key>:points` and the gift card under `key`.
    """
    with transaction.atomic():
        lock_channel(member.channel_id)
        _not_replayed(key, f"{key}:points")
        try:
            credit = points_module.redeem(member, points, key=f"{key}:points")
        except points_module.RedemptionError as error:
            raise WalletError(_REDEMPTION_CODES[error.code], error.message) from None
        return convert_to_gift_card(member, credit, key=key)


def request_withdrawal(member: Member, amount, details: str, *, key: str) -> Withdrawal:
    """Set `amount` aside from the wallet until staff pay it out (or reject the request)."""
    channel = member.channel
    if not channel.settings.withdrawals_enabled:
        raise WalletError("WITHDRAWALS_DISABLED", "This store does not pay out wallet credit.")
    amount = money_amount(amount, channel.currency)
    details = (details or "").strip()
    if not details or len(details) > _DETAILS_LENGTH:
        raise WalletError(
            "INVALID_DETAILS",
            f"Say where to pay the money, in at most {_DETAILS_LENGTH} characters.",
        )
    with transaction.atomic():
        lock_channel(channel.pk)
        _not_replayed(key)
        work = ChannelSlice.for_member(member)
        # Created first so that the posting can name it; a refusal rolls both back.
        withdrawal = Withdrawal.objects.create(
            member=member, amount=amount, status=WithdrawalStatus.REQUESTED, details=details
        )
        memo = f"withdrawal {withdrawal.pk}"
        _request(work, member, key, memo, events.withdraw, work.minor(amount))
        return withdrawal


def decide_withdrawal(
    withdrawal_id: int, *, approve: bool, staff: str, reason: str = ""
) -> Withdrawal:
    """Approve (the money was paid outside the store) or reject (it goes back to the wallet)."""
    try:
        withdrawal_id = int(withdrawal_id)
    except (TypeError, ValueError):
        raise WalletError("NOT_FOUND", "No such withdrawal request.") from None
    found = Withdrawal.objects.filter(pk=withdrawal_id).select_related("member__channel").first()
    if found is None:
        raise WalletError("NOT_FOUND", "No such withdrawal request.")
    member = found.member
    channel = member.channel
    with transaction.atomic():
        lock_channel(channel.pk)
        withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal_id)
        if withdrawal.status != WithdrawalStatus.REQUESTED:
            raise WalletError("ALREADY_DECIDED", f"This request was already {withdrawal.status}.")
        # One key for either decision: a request is decided once.
        key = f"ch:{channel.pk}:withdrawal:{withdrawal.pk}:decision"
        if already_posted(key):
            raise WalletError("ALREADY_DECIDED", "This request was already decided.")
        work = ChannelSlice.for_member(member)
        memo = f"withdrawal {withdrawal.pk} by {staff}"
        amount = work.minor(withdrawal.amount)
        _request(work, member, key, memo, events.decide_withdrawal, amount, approve)
        withdrawal.status = WithdrawalStatus.APPROVED if approve else WithdrawalStatus.REJECTED
        withdrawal.decided_at = timezone.now()
        withdrawal.decided_by = (staff or "")[:255]
        withdrawal.reason = (reason or "")[:255]
        withdrawal.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        return withdrawal


def adjust(
    member: Member, kind: str, amount, *, reason: str, staff: str, key: str
) -> LedgerTransaction:
    """A staff correction of the member's wallet or points, up or down, never below zero
    (`kernel.events.adjust`).

    Wallet credit comes from (and goes back to) the platform's funding; points are issued as a
    new lot (usable for `points_expire_days` like earned points) or taken soonest-expiring first.
    """
    channel = member.channel
    if kind == "wallet":
        amount = money_amount(amount, channel.currency, signed=True)
    elif kind == "points":
        amount = _points_amount(amount)
    else:
        raise ValueError(f"kind must be 'points' or 'wallet', got {kind!r}")
    with transaction.atomic():
        lock_channel(channel.pk)
        _not_replayed(key)
        work = ChannelSlice.for_member(member, points=kind == "points")
        units = int(amount) if kind == "points" else work.minor(amount)
        memo = f"{staff}: {reason}"
        posted = _request(work, member, key, memo, events.adjust, kind, units, work.day.toordinal())
        return LedgerTransaction.objects.get(pk=posted[key])
