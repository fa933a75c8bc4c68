"""How much one request may ask for. The endpoint is public, so a document that repeats a page of
history under a thousand aliases, or through nested fragments, is refused before it runs."""

from __future__ import annotations

from graphql.language import ast

from .context import RequestError

MAX_FIELDS = 500
MAX_MUTATIONS = 4


def check_size(document: ast.Document) -> None:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, ast.FragmentDefinition)
    }
    for operation in document.definitions:
        if not isinstance(operation, ast.OperationDefinition):
            continue
        if operation.operation == "mutation":
            if len(operation.selection_set.selections) > MAX_MUTATIONS:
                raise RequestError(f"At most {MAX_MUTATIONS} mutations per request.")
        _count(operation.selection_set, fragments, [0], ())


def _count(selection_set, fragments, total: list[int], path: tuple[str, ...]) -> None:
    """Counts fields as the executor would meet them, each fragment spread in full; stops as
    soon as the limit is passed, so an exploding document costs little to refuse."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, ast.Field):
            total[0] += 1
            if total[0] > MAX_FIELDS:
                raise RequestError(f"The query asks for more than {MAX_FIELDS} fields.")
            _count(selection.selection_set, fragments, total, path)
        elif isinstance(selection, ast.InlineFragment):
            _count(selection.selection_set, fragments, total, path)
        else:
            name = selection.name.value
            fragment = fragments.get(name)
            # Unknown and cyclic fragments are left to validation, which refuses them.
            if fragment is not None and name not in path:
                _count(fragment.selection_set, fragments, total, (*path, name))
