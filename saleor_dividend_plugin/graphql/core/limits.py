"""How much one request may ask for. The endpoint is public, so a document that repeats a page of
history under a thousand aliases, nests a few thousand levels deep, or hides more mutations in
fragments is refused before it runs.

Nothing here recurses: a document's depth is what an attacker chooses, and Python's stack is not.
"""

from __future__ import annotations

import re

from graphql.language import ast

from .connection import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from .context import RequestError

MAX_FIELDS = 500
MAX_MUTATIONS = 4
# Deeper than any operation of the schema and than the playground's introspection query (13).
MAX_DEPTH = 20
MAX_COST = 5000
# Fragment spreads followed per operation: spreads of fragments that only spread each other add
# no field, so they are bounded on their own.
MAX_SPREADS = 10 * MAX_FIELDS
# What a field costs on top of 1: the fields that read the database (a row count, a page, an
# account), so that aliasing them cannot multiply the work past the budget. A connection's
# `edges` count once per item of the page asked for (`first`/`last`; 100 when a variable).
FIELD_COSTS = {
    "rewardAccount": 20,
    "rewardMember": 20,
    "dividendPool": 50,
    "pointValue": 20,
    "pointsWorth": 20,
    "totalCount": 50,
    "position": 5,
    "history": 20,
    "releases": 20,
    "queueEntries": 20,
    "withdrawals": 20,
    "giftCards": 20,
    "rewardWithdrawals": 20,
    "pointValueHistory": 20,
}

# What the raw text nests with: brackets outside strings and comments, as graphql-core 2's lexer
# reads them (it has no block strings: `"""` is an empty string and a quote).
_NESTING = re.compile(r'"(?:\\.|[^"\\\n\r])*"|#[^\n\r]*|[{}()\[\]]')
_OPENING = frozenset("{([")
_CLOSING = frozenset("})]")


def check_nesting(query: str) -> None:
    """Refuses a text nested deeper than MAX_DEPTH before it is parsed: graphql-core 2's parser
    recurses once per level and would hit Python's recursion limit (a 500, not a 400)."""
    depth = 0
    for match in _NESTING.finditer(query):
        token = match.group()
        if token in _OPENING:
            depth += 1
            if depth > MAX_DEPTH:
                raise RequestError(f"The query nests deeper than {MAX_DEPTH} levels.")
        elif token in _CLOSING:
            # A stray closing bracket is a syntax error; it must not lend depth to what follows.
            depth = max(depth - 1, 0)


def check_size(document: ast.Document) -> None:
    """Counts what each operation asks for as the executor would meet it, every fragment spread
    in full: fields, depth, cost, and the mutations at its root. Stops as soon as a limit is
    passed, so an exploding document costs little to refuse."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, ast.FragmentDefinition)
    }
    for operation in document.definitions:
        if isinstance(operation, ast.OperationDefinition):
            _check_operation(operation, fragments)


def _check_operation(operation: ast.OperationDefinition, fragments: dict) -> None:
    fields = cost = mutations = spreads = 0
    is_mutation = operation.operation == "mutation"
    # (selection set, the field it belongs to, depth of its fields, what each of its fields
    # costs, fragments on the way there)
    stack = [(operation.selection_set, None, 1, 1, ())]
    while stack:
        selection_set, owner, depth, multiplier, path = stack.pop()
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, ast.Field):
                fields += 1
                if fields > MAX_FIELDS:
                    raise RequestError(f"The query asks for more than {MAX_FIELDS} fields.")
                if depth > MAX_DEPTH:
                    raise RequestError(f"The query nests deeper than {MAX_DEPTH} levels.")
                name = selection.name.value
                cost += multiplier * (1 + FIELD_COSTS.get(name, 0))
                if cost > MAX_COST:
                    raise RequestError(
                        f"The query costs more than {MAX_COST} (each field 1, fields that read "
                        "the database more, a page's items once per item): ask for fewer "
                        "aliases, fields or smaller pages."
                    )
                if is_mutation and depth == 1:
                    mutations += 1
                    if mutations > MAX_MUTATIONS:
                        raise RequestError(f"At most {MAX_MUTATIONS} mutations per request.")
                inner = multiplier * _page_size(owner) if name == "edges" and owner else multiplier
                stack.append((selection.selection_set, selection, depth + 1, inner, path))
            elif isinstance(selection, ast.InlineFragment):
                stack.append((selection.selection_set, owner, depth, multiplier, path))
            else:
                spreads += 1
                if spreads > MAX_SPREADS:
                    raise RequestError(
                        f"The query spreads fragments more than {MAX_SPREADS} times."
                    )
                name = selection.name.value
                fragment = fragments.get(name)
                # Unknown and cyclic fragments are left to validation, which refuses them.
                if fragment is not None and name not in path:
                    spread = (fragment.selection_set, owner, depth, multiplier, (*path, name))
                    stack.append(spread)


def _page_size(connection: ast.Field) -> int:
    """How many items a connection field asks for."""
    for argument in connection.arguments or ():
        if argument.name.value in ("first", "last"):
            value = argument.value
            if isinstance(value, ast.IntValue):
                return max(0, min(int(value.value), MAX_PAGE_SIZE))
            return MAX_PAGE_SIZE
    return DEFAULT_PAGE_SIZE
