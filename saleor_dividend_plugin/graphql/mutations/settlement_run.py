import graphene

from ... import settlement
from ..core.mutations import BaseMutation, errors_from
from ..core.scalars import Date
from ..core.validators import invalid
from ..error_codes import RewardErrorCode
from ..types import SettlementDayResult


class SettlementRun(BaseMutation):
    days = graphene.List(
        graphene.NonNull(SettlementDayResult),
        required=True,
        description="What happened to each day, oldest first.",
    )

    class Arguments:
        day = Date(required=True, description="The channel day to settle.")
        catch_up = graphene.Boolean(
            default_value=False,
            description="Also settle every earlier day that is not settled yet, oldest first.",
        )

    class Meta:
        description = (
            "Settle a channel day now (release, point value, expiry) instead of waiting for the "
            "scheduled run. Running it again for a settled day changes nothing; for a day whose "
            "settlement stopped half-way it does what is left. Requires MANAGE_ORDERS."
        )

    permissions = ("MANAGE_ORDERS",)

    @classmethod
    def perform_mutation(cls, info, day, catch_up=False):
        channel = info.context.channel
        done = []
        try:
            if catch_up:
                settlement.settle_until(
                    channel, day, progress=lambda _i, _n, result: done.append(result)
                )
            else:
                done.append(settlement.settle_day(channel, day))
        except settlement.SettlementError as error:
            refusal = invalid("day", str(error), RewardErrorCode.SETTLEMENT_NOT_ALLOWED)
            # Days settled before the refusal stay settled; say so alongside the error.
            return cls(days=done, errors=errors_from(refusal))
        return cls(days=done, errors=[])
