import graphene

from ... import wallet
from ..core.mutations import BaseMutation
from ..core.scalars import Decimal
from ..core.validators import (
    clean_amount,
    clean_currency,
    clean_idempotency_key,
    clean_text,
    ledger_key,
)
from ..resolvers import AccountView
from ..types import RewardAccount, RewardWithdrawal
from .utils import CURRENCY, IDEMPOTENCY_KEY, customer_member, wallet_error


class WithdrawalRequest(BaseMutation):
    withdrawal = graphene.Field(RewardWithdrawal, description="The request, awaiting staff.")
    account = graphene.Field(RewardAccount, description="The account after the request.")

    class Arguments:
        amount = Decimal(required=True, description="Wallet credit to pay out.")
        details = graphene.String(
            required=True, description="Where to pay it, e.g. a bank account (255 characters)."
        )
        currency = graphene.String(description=CURRENCY)
        idempotency_key = graphene.String(description=IDEMPOTENCY_KEY)

    class Meta:
        description = (
            "Ask staff to pay wallet credit out of the store. The amount leaves the wallet now "
            "and comes back if the request is rejected. Requires a signed-in customer."
        )

    @classmethod
    def perform_mutation(cls, info, amount, details, currency=None, idempotency_key=None):
        channel = info.context.channel
        clean_currency(currency, channel)
        amount = clean_amount(amount, channel)
        details = clean_text(details, "details", required=True)
        client_key = clean_idempotency_key(idempotency_key)
        member = customer_member(info)
        key = ledger_key(channel, member, "withdrawalRequest", client_key)
        try:
            withdrawal = wallet.request_withdrawal(member, amount, details, key=key)
        except wallet.WalletError as error:
            raise wallet_error(error) from error
        return cls(withdrawal=withdrawal, account=AccountView(member), errors=[])
