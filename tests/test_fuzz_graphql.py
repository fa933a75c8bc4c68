"""GraphQL fuzzing from the schema itself: random selections of fields and random argument values,
of the right type and of wrong ones, sent by anonymous callers, customers and staff.

No answer may be a server error, none may reveal internals (tracebacks, SQL, driver names, file
paths), and a rejected call must leave the ledger exactly as it was.
"""

import json
import re

import pytest
from graphql import parse
from graphql.error import GraphQLSyntaxError
from graphql.type import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saleor_dividend_plugin import wallet
from saleor_dividend_plugin.graphql.schema import schema
from saleor_dividend_plugin.models import Account, Entry, LedgerTransaction, Withdrawal

from .graphql.conftest import Api, account_id, staff_group, withdrawal_id
from .tally import count
from .test_wallet import GiftCardHost

LEAKS = re.compile(
    r"Traceback|psycopg|SELECT |INSERT |UPDATE |dividend_[a-z_]+|/work/|site-packages|\.py\b"
    r"|File \"|IntegrityError|DataError|OperationalError"
)
MAX_DEPTH = 4

text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "\x00", "' OR 1=1 --", "%", "1e999", "NaN", "-0", "9" * 70]),
)
numbers = st.one_of(
    st.integers(-(10**20), 10**20),
    st.sampled_from(["0.001", "-1.5", "1e5", "Infinity", "12.50", "100", "-100"]),
)


def scalar_values(name: str, known: dict):
    """Literal values for a scalar: mostly of its own type, sometimes of any other."""
    right = {
        "String": text.map(json.dumps),
        "Boolean": st.sampled_from(["true", "false"]),
        "Int": st.integers(-(2**40), 2**40).map(str),
        "Float": st.floats(allow_nan=False, allow_infinity=False).map(repr),
        "Decimal": numbers.map(lambda n: json.dumps(str(n)) if isinstance(n, str) else str(n)),
        "Date": st.one_of(
            st.dates().map(lambda d: json.dumps(d.isoformat())), text.map(json.dumps)
        ),
        "ID": st.one_of(st.sampled_from(known["ids"]), text).map(json.dumps),
    }.get(name, text.map(json.dumps))
    wrong = st.sampled_from(["true", "42", '"x"', "[1, 2]", "{a: 1}", "-1.5", "WALLET"])
    return st.one_of(right, right, right, wrong)


def value_for(type_, known, depth=0):
    if isinstance(type_, GraphQLNonNull):
        return value_for(type_.of_type, known, depth)
    if isinstance(type_, GraphQLList):
        return st.lists(value_for(type_.of_type, known, depth + 1), max_size=3).map(
            lambda items: "[" + ", ".join(items) + "]"
        )
    if isinstance(type_, GraphQLEnumType):
        return st.one_of(st.sampled_from([v.name for v in type_.values]), st.just("NOT_A_VALUE"))
    if isinstance(type_, GraphQLInputObjectType):
        if depth > 2:
            return st.just("{}")
        fields = {name: value_for(f.type, known, depth + 1) for name, f in type_.fields.items()}
        return st.fixed_dictionaries({}, optional=fields).map(
            lambda values: "{" + ", ".join(f"{k}: {v}" for k, v in values.items()) + "}"
        )
    if isinstance(type_, GraphQLScalarType):
        return scalar_values(type_.name, known)
    return st.just('""')


def named(type_):
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


@st.composite
def selection(draw, type_, known, depth=0):
    """A non-empty selection of `type_`'s fields, with arguments (required ones usually given)."""
    type_ = named(type_)
    if isinstance(type_, GraphQLUnionType | GraphQLInterfaceType):
        return "{ __typename }"
    if not isinstance(type_, GraphQLObjectType):
        return ""
    fields = sorted(type_.fields.items())
    if depth >= MAX_DEPTH:
        leaves = [(n, f) for n, f in fields if not isinstance(named(f.type), GraphQLObjectType)]
        fields = leaves or [("__typename", None)]
    chosen = draw(
        st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique_by=lambda f: f[0])
    )
    parts = []
    for name, field in chosen:
        if field is None:
            parts.append(name)
            continue
        args = []
        for arg_name, arg in sorted(field.args.items()):
            required = isinstance(arg.type, GraphQLNonNull)
            if draw(st.floats(0, 1)) < (0.9 if required else 0.4):
                args.append(f"{arg_name}: {draw(value_for(arg.type, known))}")
        head = f"{name}({', '.join(args)})" if args else name
        inner = draw(selection(field.type, known, depth + 1))
        parts.append(f"{head} {inner}".strip())
    return "{ " + " ".join(parts) + " }"


@st.composite
def operations(draw, known):
    core = schema
    if draw(st.booleans()):
        return "query", draw(selection(core.get_query_type(), known)), {}
    mutations = sorted(core.get_mutation_type().fields.items())
    name, field = draw(st.sampled_from(mutations))
    # Arguments as literals, or as variables whose JSON values the endpoint parses separately.
    as_variables = draw(st.booleans())
    args, declared, variables = [], [], {}
    for arg_name, arg in sorted(field.args.items()):
        required = isinstance(arg.type, GraphQLNonNull)
        if draw(st.floats(0, 1)) >= (0.9 if required else 0.5):
            continue
        if as_variables:
            declared.append(f"${arg_name}: {arg.type}")
            args.append(f"{arg_name}: ${arg_name}")
            variables[arg_name] = draw(json_value_for(arg.type, known))
        else:
            args.append(f"{arg_name}: {draw(value_for(arg.type, known))}")
    head = f"{name}({', '.join(args)})" if args else name
    header = f"mutation ({', '.join(declared)})" if declared else "mutation"
    query = f"{header} {{ {head} {draw(selection(field.type, known, 1))} }}"
    return "mutation", query, variables


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    text,
)
json_anything = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=6,
)


def json_value_for(type_, known):
    """A JSON variable value: usually the right shape for `type_`, sometimes anything at all."""
    named_type = named(type_)
    if isinstance(named_type, GraphQLEnumType):
        right = st.sampled_from([v.name for v in named_type.values])
    elif named_type.name == "ID":
        right = st.sampled_from(known["ids"])
    elif named_type.name == "Decimal":
        # Also as JSON numbers with a fraction, which the endpoint reads as Decimal.
        right = st.one_of(
            st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
            st.floats(allow_nan=False, allow_infinity=False),
            numbers,
        )
    elif named_type.name == "Date":
        right = st.one_of(st.dates().map(str), text)
    else:
        right = json_scalars
    return st.one_of(right, right, json_anything)


def ledger_state():
    """Postings, entries, balances and withdrawals. A caller's first request may enroll them as
    a member with empty accounts: membership, not a posting, so empty accounts are left out."""
    return (
        LedgerTransaction.objects.count(),
        Entry.objects.count(),
        sorted(Account.objects.exclude(balance=0).values_list("pk", "balance")),
        Withdrawal.objects.count(),
    )


@pytest.fixture
def store(client, make_channel, make_user, settings):
    """A channel with a rewarded customer, a waiting withdrawal, and callers of every kind."""
    from .conftest import Shop

    settings.DIVIDEND_HOST = f"{GiftCardHost.__module__}.GiftCardHost"
    channel = make_channel(withdrawals_enabled="true", min_withdrawal="1", points_min_redemption=1)
    shop = Shop(channel)
    alice, bob = make_user("alice"), make_user("bob")
    shop.order(alice, 100)
    shop.order(bob, 100)
    member = shop.member(alice)
    waiting = wallet.request_withdrawal(member, 5, "IBAN DE00", key="seed")
    staff = make_user("staff", is_staff=True, is_superuser=True)
    staff.groups.add(staff_group())
    return {
        "api": Api(client, channel),
        "callers": [None, alice, bob, staff],
        "ids": {"@account": account_id(member), "@withdrawal": withdrawal_id(waiting)},
    }


def check_response(api, body, before, kind, sent=""):
    """`sent`: the operation's text and variables. An error may quote what the caller sent (a
    cursor, a code), so what it quotes from there is not a leak."""
    raw = json.dumps(body)
    assert api.status in {200, 400}, raw
    assert "Internal Server Error" not in raw and "InternalServerError" not in raw, raw
    assert not [m for m in LEAKS.findall(raw) if m not in sent], raw
    if kind != "mutation":
        assert ledger_state() == before, raw
        return
    # An error in a field selected from a mutation's result does not undo the mutation.
    payloads = (body.get("data") or {}).values()
    if not [p for p in payloads if isinstance(p, dict) and not p.get("errors")]:
        assert ledger_state() == before, raw


def fuzz(store, operation, caller):
    kind, query, variables = operation
    for name, real in store["ids"].items():
        query = query.replace(json.dumps(name), json.dumps(real))
        variables = {k: real if v == name else v for k, v in variables.items()}
    api = store["api"]
    before = ledger_state()
    body = api(query, variables, user=store["callers"][caller])
    check_response(api, body, before, kind, sent=query + json.dumps(variables))
    count("fuzz: GraphQL operations generated from the schema")


FUZZ_SETTINGS = dict(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
# The fixture's real IDs are put in place of these names when the operation is sent.
KNOWN_IDS = {"ids": ["@account", "@withdrawal", "UmV3YXJkQWNjb3VudDox", "bm9wZQ=="]}


@settings(max_examples=60, **FUZZ_SETTINGS)
@given(operation=operations(KNOWN_IDS), caller=st.integers(0, 3))
def test_fuzzed_operations_fail_cleanly_and_change_nothing_when_refused(store, operation, caller):
    fuzz(store, operation, caller)


@pytest.mark.slow
@settings(max_examples=3000, **FUZZ_SETTINGS)
@given(operation=operations(KNOWN_IDS), caller=st.integers(0, 3))
def test_long_fuzz_run(store, operation, caller):
    fuzz(store, operation, caller)


def test_the_fuzzer_reaches_every_field_of_the_schema():
    """A generator that never produced some field would leave it unfuzzed without a sign."""
    core = schema
    wanted = {f"Query.{n}" for n in core.get_query_type().fields}
    wanted |= {f"Mutation.{n}" for n in core.get_mutation_type().fields}
    seen = set()

    @settings(max_examples=300, derandomize=True, database=None, **FUZZ_SETTINGS)
    @given(operation=operations(KNOWN_IDS))
    def collect(operation):
        kind, query, _ = operation
        root = "Query" if kind == "query" else "Mutation"
        try:
            [definition] = parse(query).definitions
        except GraphQLSyntaxError:
            return
        seen.update(f"{root}.{s.name.value}" for s in definition.selection_set.selections)

    collect()
    assert wanted <= seen, wanted - seen


# What the fuzzer found once, kept as fixed cases (each was an internal error).
FOUND = [
    ("query", '{ pointValueHistory(filter: {day: {gte: ""}}) { totalCount } }', {}),
    ("mutation", 'mutation { settlementRun(day: "-0") { errors { field code } } }', {}),
    ("mutation", 'mutation { settlementRun(day: "+12345-01-01") { errors { code } } }', {}),
    ("query", 'query ($e: String) { rewardMember(email: $e) { points } }', {"e": "\ud800"}),
    ("query", 'query ($e: String) { rewardMember(email: $e) { points } }', {"e": "a\x00"}),
    ("mutation", 'mutation ($c: String!) { referrerSet(code: $c) { errors { code } } }',
     {"c": "\x00"}),
    ("mutation", 'mutation { withdrawalRequest(amount: 1, details: "\\u0000") '
     "{ errors { code } } }", {}),
    # An error that quotes the cursor it was sent is not leaking a table name.
    ("query", '{ pointValueHistory(after: "", before: "dividend__", last: 0) '
     "{ edges { cursor } } }", {}),
]  # fmt: skip


@pytest.mark.parametrize("operation", FOUND)
def test_inputs_found_by_the_fuzzer_are_refused_cleanly(store, operation):
    kind, query, variables = operation
    api = store["api"]
    before = ledger_state()
    body = api(query, variables, user=store["callers"][3])
    check_response(api, body, before, kind, sent=query + json.dumps(variables))
    # Refused, or (an email no member has) simply not found.
    answers = list((body.get("data") or {}).values())
    assert body.get("errors") or answers == [None] or answers[0]["errors"], body


def test_a_number_with_a_fraction_sent_for_an_enum_is_refused_cleanly(store):
    api = store["api"]
    query = (
        'mutation ($kind: RewardAdjustmentKind!) { rewardAccountAdjust(id: "x", kind: $kind,'
        ' amount: 1, reason: "r") { errors { code } } }'
    )
    body = api(query, {"kind": 0.5}, user=store["callers"][3])
    check_response(api, body, ledger_state(), "mutation")
