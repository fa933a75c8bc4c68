import graphene

from ... import wallet
from ...models import Member
from ..core.mutations import BaseMutation
from ..core.scalars import Decimal
from ..core.validators import (
    clean_amount,
    clean_currency,
    clean_idempotency_key,
    clean_points,
    clean_text,
    decode_id,
    invalid,
    ledger_key,
)
from ..enums import RewardAdjustmentKind, RewardAdjustmentKindEnum
from ..error_codes import RewardErrorCode
from ..resolvers import AccountView
from ..types import RewardAccount
from .utils import CURRENCY, IDEMPOTENCY_KEY, staff_name, wallet_error

# Points are part of the customer's order rewards; wallet credit is money the store owes.
PERMISSION_BY_KIND = {
    RewardAdjustmentKind.POINTS.value: "MANAGE_ORDERS",
    RewardAdjustmentKind.WALLET.value: "MANAGE_GIFT_CARD",
}


class RewardAccountAdjust(BaseMutation):
    account = graphene.Field(RewardAccount, description="The account after the correction.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of the RewardAccount.")
        kind = RewardAdjustmentKindEnum(required=True, description="Which balance to correct.")
        amount = Decimal(
            required=True,
            description="Signed change: positive adds, negative takes away (never below zero).",
        )
        reason = graphene.String(
            required=True, description="Why; shown in the customer's history (255 characters)."
        )
        currency = graphene.String(description=CURRENCY + " Only for wallet corrections.")
        idempotency_key = graphene.String(description=IDEMPOTENCY_KEY)

    class Meta:
        description = (
            "Correct a member's points or wallet. Requires MANAGE_ORDERS for points and "
            "MANAGE_GIFT_CARD for the wallet."
        )

    permissions = tuple(PERMISSION_BY_KIND.values())

    @classmethod
    def perform_mutation(cls, info, id, kind, amount, reason, currency=None, idempotency_key=None):
        context = info.context
        channel = context.channel
        context.require_any_permission(PERMISSION_BY_KIND[kind])
        if kind == RewardAdjustmentKind.WALLET.value:
            clean_currency(currency, channel)
            amount = clean_amount(amount, channel, signed=True)
        else:
            if currency is not None:
                raise invalid(
                    "currency", "Points have no currency.", RewardErrorCode.INVALID_CURRENCY
                )
            amount = clean_points(amount, field="amount", signed=True)
        reason = clean_text(reason, "reason", required=True)
        client_key = clean_idempotency_key(idempotency_key)
        member = Member.objects.filter(pk=decode_id(id, "RewardAccount"), channel=channel).first()
        if member is None:
            raise invalid("id", "No such account in this channel.", RewardErrorCode.NOT_FOUND)
        key = ledger_key(channel, member, "rewardAccountAdjust", client_key)
        try:
            wallet.adjust(
                member, kind, amount, reason=reason, staff=staff_name(context.user), key=key
            )
        except wallet.WalletError as error:
            raise wallet_error(error) from error
        return cls(account=AccountView(member), errors=[])
