"""Relay connections over querysets, paginated by keyset: a page costs one query however deep into
the list it is, and rows added while a customer pages through their history shift nothing."""

from __future__ import annotations

import base64
import binascii
import json

import graphene
from django.core.exceptions import ValidationError
from django.db.models import IntegerField, Q, QuerySet, Subquery
from graphene.relay import PageInfo
from graphql.language.ast import Field

from .context import RequestError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class CountableConnection(graphene.relay.Connection):
    """A connection whose edges and nodes are never null (as in Saleor), with `totalCount`."""

    total_count = graphene.Int(description="Number of items that match the filter.")

    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, node=None, name=None, **options):
        super().__init_subclass_with_meta__(node=node, name=name, **options)

        class EdgeBase:
            node = graphene.Field(cls._meta.node, required=True, description="The item.")
            cursor = graphene.String(required=True, description="Where the item is in the list.")

        cls.Edge = type(cls.Edge._meta.name, (EdgeBase, graphene.ObjectType), {})
        cls._meta.fields["edges"] = graphene.Field(
            graphene.NonNull(graphene.List(graphene.NonNull(cls.Edge)))
        )

    @staticmethod
    def resolve_total_count(root, _info):
        if root.total is not None:
            return root.total
        return root.matching.count()


class _CountOf(Subquery):
    """The number of rows of a queryset, as a column: PostgreSQL computes an uncorrelated
    subquery once per statement, so the page's rows carry the list's count at no extra query."""

    template = "(SELECT count(*) FROM (%(subquery)s) AS matching)"
    output_field = IntegerField()


def _wants_total(info) -> bool:
    """Whether the connection's selection asks for `totalCount` (or might: a fragment)."""
    if info is None:
        return False
    for field in info.field_asts:
        for selection in field.selection_set.selections if field.selection_set else ():
            if not isinstance(selection, Field) or selection.name.value == "totalCount":
                return True
    return False


def paginate(
    queryset: QuerySet,
    connection_type: type[CountableConnection],
    ordering: tuple[str, ...],
    *,
    first: int | None = None,
    last: int | None = None,
    after: str | None = None,
    before: str | None = None,
    info=None,
) -> CountableConnection:
    """One page of `queryset` in `ordering` ("-day", "-pk"...: the last field must be unique).

    `first` (default 20) pages forward from `after`; `last` pages backward from `before`. With
    the resolver's `info`, a `totalCount` asked for is read with the page, in the same query."""
    if first is not None and last is not None:
        raise RequestError("Give either `first` or `last`, not both.")
    forward = last is None
    size = (first if first is not None else DEFAULT_PAGE_SIZE) if forward else last
    if size < 0 or size > MAX_PAGE_SIZE:
        raise RequestError(f"Pages hold from 0 to {MAX_PAGE_SIZE} items.")
    model = queryset.model
    keys = [(name.lstrip("-"), name.startswith("-")) for name in ordering]
    page = queryset
    if after:
        page = page.filter(_beyond(keys, _decode(model, keys, after), forward=True))
    if before:
        page = page.filter(_beyond(keys, _decode(model, keys, before), forward=False))
    order = ordering if forward else tuple(_flip(name) for name in ordering)
    # The page is its rows. What a resolver shows beside them (a history line's posting) it
    # reads for the page afterwards: joined here, it would be joined for every match.
    counted = _wants_total(info)
    if counted:
        page = page.annotate(matching_count=_CountOf(queryset.order_by().values("pk")))
    rows = list(page.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    edges = [connection_type.Edge(node=row, cursor=_encode(row, keys)) for row in rows]
    connection = connection_type(
        edges=edges,
        page_info=PageInfo(
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
            has_next_page=more if forward else bool(before),
            has_previous_page=bool(after) if forward else more,
        ),
    )
    connection.matching = queryset
    connection.total = None
    if counted and rows:
        connection.total = rows[0].matching_count
    elif counted and size and not (after or before):
        # A first page with room that came back empty: nothing matches.
        connection.total = 0
    # (An empty page past a cursor says nothing of the rows before it: `totalCount` asks.)
    return connection


def _flip(name: str) -> str:
    return name[1:] if name.startswith("-") else f"-{name}"


def _beyond(keys, values, *, forward: bool) -> Q:
    """Rows strictly after (forward) or before the row whose ordering values are `values`."""
    condition = Q()
    for i, (name, descending) in enumerate(keys):
        lookup = "lt" if descending == forward else "gt"
        same = {prefix: value for (prefix, _), value in zip(keys[:i], values[:i], strict=True)}
        condition |= Q(**same, **{f"{name}__{lookup}": values[i]})
    return condition


def _encode(row, keys) -> str:
    values = [getattr(row, name) for name, _ in keys]
    raw = json.dumps([v if isinstance(v, int) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(model, keys, cursor: str) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        return [
            _field(model, name).to_python(value)
            for (name, _), value in zip(keys, values, strict=True)
        ]
    except (ValueError, TypeError, ValidationError, binascii.Error, UnicodeError) as error:
        raise RequestError(f"Invalid cursor: {cursor[:64]!r}.") from error


def _field(model, name):
    return model._meta.pk if name == "pk" else model._meta.get_field(name)
