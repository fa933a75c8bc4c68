from __future__ import annotations

import graphene
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from .types import RewardError


class BaseMutation(graphene.Mutation):
    """A mutation that reports refusals in `errors { field code message }`, the way Saleor's do.

    Anonymous callers and callers without the right permission get a top-level
    `PermissionDenied` error instead, and nothing runs."""

    errors = graphene.List(
        graphene.NonNull(RewardError),
        required=True,
        description="Why nothing was done; empty when the mutation succeeded.",
    )

    # Staff permissions of which the caller needs one; empty: any signed-in customer.
    permissions: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def mutate(cls, root, info, **data):
        context = info.context
        if cls.permissions:
            context.require_any_permission(*cls.permissions)
        else:
            context.require_user()
        context.forget_loaded()
        try:
            return cls.perform_mutation(info, **data)
        except ValidationError as error:
            return cls(errors=errors_from(error))

    @classmethod
    def perform_mutation(cls, info, **data):
        raise NotImplementedError


def errors_from(error: ValidationError) -> list[RewardError]:
    return [
        RewardError(
            field=None if field == NON_FIELD_ERRORS else field,
            code=item.code,
            message=item.message,
        )
        for field, items in error.update_error_dict({}).items()
        for item in items
    ]
