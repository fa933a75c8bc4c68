"""Write the API's SDL, descriptions included:
`python -m saleor_dividend_plugin.graphql.export graphql/schema.graphql` (what `make schema` runs).

graphql-core 2 prints no descriptions, so the printer here follows graphql-core 3's, as Saleor's
own schema printer does.
"""

from __future__ import annotations

import sys
from pathlib import Path

from graphql.language.printer import print_ast
from graphql.type.definition import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
)
from graphql.utils.ast_from_value import ast_from_value

_BUILT_IN = {"String", "Boolean", "Int", "Float", "ID"}


def sdl() -> str:
    from .schema import schema

    types = [
        t
        for name, t in sorted(schema.get_type_map().items())
        if not name.startswith("__") and name not in _BUILT_IN
    ]
    roots = [f"  query: {schema.get_query_type().name}"]
    if schema.get_mutation_type():
        roots.append(f"  mutation: {schema.get_mutation_type().name}")
    blocks = ["schema {\n" + "\n".join(roots) + "\n}", *map(_type, types)]
    return "\n\n".join(blocks) + "\n"


def _type(t) -> str:
    if isinstance(t, GraphQLScalarType):
        return _description(t) + f"scalar {t.name}"
    if isinstance(t, GraphQLEnumType):
        values = [
            _description(v, "  ", i == 0) + f"  {v.name}" + _deprecated(v.deprecation_reason)
            for i, v in enumerate(t.values)
        ]
        return _description(t) + f"enum {t.name}" + _block(values)
    if isinstance(t, GraphQLInputObjectType):
        fields = [
            _description(f, "  ", i == 0) + "  " + _input_value(name, f)
            for i, (name, f) in enumerate(t.fields.items())
        ]
        return _description(t) + f"input {t.name}" + _block(fields)
    keyword = "interface" if isinstance(t, GraphQLInterfaceType) else "type"
    interfaces = getattr(t, "interfaces", None) if isinstance(t, GraphQLObjectType) else None
    implements = " implements " + " & ".join(i.name for i in interfaces) if interfaces else ""
    fields = [
        _description(f, "  ", i == 0)
        + f"  {name}"
        + _args(f.args)
        + f": {f.type}"
        + _deprecated(f.deprecation_reason)
        for i, (name, f) in enumerate(t.fields.items())
    ]
    return _description(t) + f"{keyword} {t.name}{implements}" + _block(fields)


def _block(lines: list[str]) -> str:
    return " {\n" + "\n".join(lines) + "\n}" if lines else ""


def _args(args) -> str:
    if not args:
        return ""
    if not any(a.description for a in args.values()):
        return "(" + ", ".join(_input_value(name, a) for name, a in args.items()) + ")"
    lines = [
        _description(a, "    ", i == 0) + "    " + _input_value(name, a)
        for i, (name, a) in enumerate(args.items())
    ]
    return "(\n" + "\n".join(lines) + "\n  )"


def _input_value(name: str, value) -> str:
    default = ast_from_value(value.default_value, value.type)
    return f"{name}: {value.type}" + (f" = {print_ast(default)}" if default else "")


def _deprecated(reason) -> str:
    return "" if reason is None else f" @deprecated(reason: {print_ast(ast_from_value(reason))})"


def _description(item, indentation: str = "", first_in_block: bool = True) -> str:
    text = (item.description or "").strip()
    if not text:
        return ""
    text = text.replace('"""', '\\"""')
    if "\n" in text or len(text) > 70:
        block = '"""\n' + text + '\n"""'
    else:
        block = f'"""{text}"""'
    prefix = "\n" + indentation if indentation and not first_in_block else indentation
    return prefix + block.replace("\n", "\n" + indentation) + "\n"


def main(argv: list[str]) -> int:
    import django

    django.setup()
    if len(argv) != 1:
        sys.stderr.write(f"usage: python -m {__spec__.name} <schema.graphql>\n")
        return 2
    Path(argv[0]).write_text(sdl())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
