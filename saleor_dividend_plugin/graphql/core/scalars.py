import datetime
import decimal

import graphene
from graphql.language import ast

# Longer inputs are not amounts anyone means; refusing them early keeps parsing cheap.
_MAX_INPUT_LENGTH = 64


class Decimal(graphene.Scalar):
    """A decimal number, sent as a string so that no digit is lost (e.g. "12.50").

    Accepted as a string or a JSON number; infinities, NaN and anything that is not a number are
    refused."""

    @staticmethod
    def serialize(value) -> str:
        return format(decimal.Decimal(value), "f")

    @staticmethod
    def parse_literal(node) -> decimal.Decimal | None:
        if isinstance(node, ast.IntValue | ast.FloatValue | ast.StringValue):
            return _parse(node.value)
        return None

    @staticmethod
    def parse_value(value) -> decimal.Decimal | None:
        if isinstance(value, bool) or not isinstance(value, str | int | decimal.Decimal):
            # Floats never reach here: the endpoint keeps JSON numbers as their text.
            return None
        return _parse(str(value))


def _parse(text: str) -> decimal.Decimal | None:
    if len(text) > _MAX_INPUT_LENGTH:
        return None
    try:
        value = decimal.Decimal(text.strip())
    except decimal.InvalidOperation:
        return None
    return value if value.is_finite() else None


class Date(graphene.Date):
    # graphene's own parser (aniso8601) raises IndexError, NotImplementedError and more on inputs
    # such as "" or "-0": server errors where the caller should get a refusal.
    __doc__ = graphene.Date.__doc__

    @staticmethod
    def parse_value(value) -> datetime.date | None:
        if isinstance(value, datetime.date):
            return value
        if not isinstance(value, str) or len(value) > _MAX_INPUT_LENGTH:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
