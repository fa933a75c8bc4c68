import graphene
import prices

from ...money import round_down, whole
from ..enums import RewardErrorCodeEnum
from .scalars import Decimal


class Money(graphene.ObjectType):
    amount = Decimal(
        required=True, description='The amount, e.g. "12.50": never finer than the minor unit.'
    )
    currency = graphene.String(required=True, description="ISO 4217 currency code.")

    class Meta:
        description = "An amount of money in the channel currency."


def money(amount, currency: str) -> prices.Money:
    """`amount` as shown to people: to the currency's minor unit, never rounded up."""
    return prices.Money(round_down(amount, currency), currency)


def points(amount):
    return whole(amount)


class RewardError(graphene.ObjectType):
    field = graphene.String(
        description="The argument that caused the error, or null when it concerns the request "
        "as a whole."
    )
    message = graphene.String(description="What went wrong, for people.")
    code = RewardErrorCodeEnum(required=True, description="What went wrong, for programs.")

    class Meta:
        description = "Why a rewards mutation did nothing."
