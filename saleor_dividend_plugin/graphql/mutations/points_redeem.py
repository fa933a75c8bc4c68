import graphene

from ... import points as points_service
from ... import wallet
from ..core.mutations import BaseMutation
from ..core.scalars import Decimal
from ..core.types import Money, money
from ..core.validators import clean_idempotency_key, clean_points, invalid, ledger_key
from ..error_codes import REDEMPTION_CODES, RewardErrorCode
from ..resolvers import AccountView
from ..types import RewardAccount, RewardGiftCard
from .utils import IDEMPOTENCY_KEY, customer_member, wallet_error

INSUFFICIENT_POINTS = RewardErrorCode.INSUFFICIENT_POINTS


class PointsRedeem(BaseMutation):
    credit = graphene.Field(Money, description="What the points were redeemed for.")
    gift_card = graphene.Field(RewardGiftCard, description="The gift card, when one was asked for.")
    account = graphene.Field(RewardAccount, description="The account after the redemption.")

    class Arguments:
        points = Decimal(required=True, description="Whole points to redeem.")
        to_gift_card = graphene.Boolean(
            default_value=False,
            description="Put the credit on a new gift card instead of the wallet.",
        )
        idempotency_key = graphene.String(description=IDEMPOTENCY_KEY)

    class Meta:
        description = (
            "Redeem points for store credit at today's point value, rounded down. "
            "Requires a signed-in customer."
        )

    @classmethod
    def perform_mutation(cls, info, points, to_gift_card=False, idempotency_key=None):
        channel = info.context.channel
        points = clean_points(points)
        client_key = clean_idempotency_key(idempotency_key)
        member = customer_member(info)
        key = ledger_key(channel, member, "pointsRedeem", client_key)
        if to_gift_card:
            try:
                card = wallet.redeem_points_to_gift_card(member, points, key=key)
            except wallet.WalletError as error:
                if error.code == "INSUFFICIENT_FUNDS":
                    # The wallet calls too few points INSUFFICIENT_FUNDS; say it as redemptions do.
                    raise invalid("points", error.message, INSUFFICIENT_POINTS) from error
                raise wallet_error(error, amount_field="points") from error
            return cls(
                credit=money(card.amount, channel.currency),
                gift_card=card,
                account=AccountView(member),
                errors=[],
            )
        try:
            credit = points_service.redeem(member, points, key=key)
        except points_service.RedemptionError as error:
            field = "idempotencyKey" if error.code == "DUPLICATE" else "points"
            raise invalid(field, error.message, REDEMPTION_CODES[error.code]) from error
        return cls(credit=money(credit, channel.currency), account=AccountView(member), errors=[])
