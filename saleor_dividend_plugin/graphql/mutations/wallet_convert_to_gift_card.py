import graphene

from ... import wallet
from ..core.mutations import BaseMutation
from ..core.scalars import Decimal
from ..core.validators import clean_amount, clean_currency, clean_idempotency_key, ledger_key
from ..resolvers import AccountView
from ..types import RewardAccount, RewardGiftCard
from .utils import CURRENCY, IDEMPOTENCY_KEY, customer_member, wallet_error


class WalletConvertToGiftCard(BaseMutation):
    gift_card = graphene.Field(RewardGiftCard, description="The new gift card.")
    account = graphene.Field(RewardAccount, description="The account after the conversion.")

    class Arguments:
        amount = Decimal(required=True, description="Wallet credit to put on the gift card.")
        currency = graphene.String(description=CURRENCY)
        idempotency_key = graphene.String(description=IDEMPOTENCY_KEY)

    class Meta:
        description = (
            "Turn wallet credit into a gift card assigned to the customer, to spend at checkout. "
            "Requires a signed-in customer."
        )

    @classmethod
    def perform_mutation(cls, info, amount, currency=None, idempotency_key=None):
        channel = info.context.channel
        clean_currency(currency, channel)
        amount = clean_amount(amount, channel)
        client_key = clean_idempotency_key(idempotency_key)
        member = customer_member(info)
        key = ledger_key(channel, member, "walletConvertToGiftCard", client_key)
        try:
            card = wallet.convert_to_gift_card(member, amount, key=key)
        except wallet.WalletError as error:
            raise wallet_error(error) from error
        return cls(gift_card=card, account=AccountView(member), errors=[])
