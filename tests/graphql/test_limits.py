"""What one request may ask for: mutations counted through fragments, nesting, cost, and the
memory the parse cache may hold whatever anonymous callers send."""

import gc
import tracemalloc

from graphql.utils.introspection_query import introspection_query

from saleor_dividend_plugin.graphql import views
from saleor_dividend_plugin.graphql.core.limits import MAX_COST, MAX_DEPTH
from saleor_dividend_plugin.models import Member

from .conftest import error_codes, ledger_state

REFERRER_SET = 'r{n}: referrerSet(code: "NOPE{n}") {{ errors {{ code }} }}'


def referrer_sets(*numbers):
    return " ".join(REFERRER_SET.format(n=n) for n in numbers)


def test_mutations_in_named_and_inline_fragments_count_towards_the_limit(api, customer):
    before = ledger_state()
    documents = [
        f"mutation {{ ...M }} fragment M on Mutation {{ {referrer_sets(*range(20))} }}",
        f"mutation {{ ... on Mutation {{ {referrer_sets(*range(5))} }} }}",
        # Three at the root, two more through a fragment that spreads another.
        f"mutation {{ {referrer_sets(1, 2, 3)} ...A }}"
        f" fragment A on Mutation {{ ...B }} fragment B on Mutation {{ {referrer_sets(4, 5)} }}",
    ]
    for document in documents:
        body = api(document, user=customer)
        assert api.status == 400, document
        assert body == {
            "errors": [
                {
                    "message": "At most 4 mutations per request.",
                    "extensions": {"exception": {"code": "GraphQLError"}},
                }
            ]
        }
    assert ledger_state() == before
    assert not Member.objects.exists()
    # Four, however they are written, run.
    four = f"mutation {{ {referrer_sets(1, 2)} ...M }} fragment M on Mutation {{ {referrer_sets(3)} ... on Mutation {{ {referrer_sets(4)} }} }}"  # noqa: E501
    data = api.data(four, user=customer)
    assert data == {f"r{n}": {"errors": [{"code": "NOT_FOUND"}]} for n in (1, 2, 3, 4)}


def test_deep_nesting_is_refused_with_400_and_no_recursion(api, customer):
    refused = {
        "errors": [
            {
                "message": f"The query nests deeper than {MAX_DEPTH} levels.",
                "extensions": {"exception": {"code": "GraphQLError"}},
            }
        ]
    }
    fields = "{ rewardAccount " + "{ points " * 3000 + "}" * 3001
    values = '{ rewardMember(email: "x", id: ' + "[" * 3000 + "]" * 3000 + ") { points } }"
    stray = "}" * 3000 + fields
    # Each fragment nests four levels more: shallow text, deep execution.
    chain = ["fragment F100 on RewardAccount { points }"] + [
        f"fragment F{n} on RewardAccount {{ withdrawals(first: 1) {{ edges {{ node {{ account"
        f" {{ ...F{n + 1} }} }} }} }} }}"
        for n in range(1, 100)
    ]
    fragments = "{ rewardAccount { ...F1 } } " + " ".join(chain)
    for query in (fields, values, stray, fragments):
        body = api(query, user=customer)
        assert (api.status, body) == (400, refused), query[:60]


def test_brackets_in_strings_and_comments_do_not_nest(api):
    deep = "{" * (MAX_DEPTH + 5)
    query = f'# {deep}\n{{ rewardMember(email: "{deep}") {{ points }} }}'
    body = api(query)
    assert api.status == 200
    assert error_codes(body) == ["PermissionDenied"]
    escaped = f'{{ rewardMember(email: "{deep} \\" {deep}") {{ points }} }}'
    assert error_codes(api(escaped)) == ["PermissionDenied"]
    assert api.status == 200


def test_the_playground_introspection_fits_the_limits(api):
    data = api.data(introspection_query)
    assert data["__schema"]["queryType"] == {"name": "Query"}


def test_a_request_that_costs_more_than_the_budget_is_refused(api, rewarded, customer):
    refused = {
        "errors": [
            {
                "message": f"The query costs more than {MAX_COST} (each field 1, fields that "
                "read the database more, a page's items once per item): ask for fewer aliases, "
                "fields or smaller pages.",
                "extensions": {"exception": {"code": "GraphQLError"}},
            }
        ]
    }
    # 120 fields, but 20 pages of 100 history lines: 20 x (21 + 21 + 1 + 100 x 4) = 8,860.
    page = "history(first: 100) { edges { node { amount kind memo } } }"
    pages = " ".join(f"a{n}: rewardAccount {{ {page} }}" for n in range(20))
    assert (api(f"{{ {pages} }}", user=customer), api.status) == (refused, 400)
    # A page size given by a variable counts as the largest page.
    variable = "query ($n: Int) { " + pages.replace("first: 100", "first: $n") + " }"
    assert (api(variable, {"n": 1}, user=customer), api.status) == (refused, 400)
    # 300 fields; each pool costs 51 + 2: 100 of them are 5,300.
    pools = " ".join(f"p{n}: dividendPool {{ balance {{ amount }} }}" for n in range(100))
    assert (api(f"{{ {pools} }}"), api.status) == (refused, 400)
    fewer = " ".join(f"p{n}: dividendPool {{ balance {{ amount }} }}" for n in range(90))
    assert len(api.data(f"{{ {fewer} }}")) == 90


def test_the_parse_cache_stays_within_its_memory_bound(api):
    """Anonymous callers send 12 different documents dense with values (the most parsed form
    per byte of text, about 0.85 MB each) and 2 texts of 1 MB (a comment changes the key): the
    cache keeps at most 32 KiB of text, and what the process holds afterwards stays below 8 MB
    (the unbounded cache held 12 MB)."""
    views.documents.clear()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for n in range(12):
            values = ",".join(["1"] * 3900)
            api(f"{{ dividendPool(n{n}: [{values}]) {{ balance {{ amount }} }} }}")
            assert api.status == 400
        for n in range(2):
            padded = f"{{ dividendPool {{ queueLength }} }} # {n} " + "x" * 1_000_000
            assert api.data(padded) == {"dividendPool": {"queueLength": 0}}
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert views.documents.size <= 32 * 1024
    assert held < 8 * 1024 * 1024, f"{held / 2**20:.1f} MB held"
    # It keeps what fits: the last four dense documents, not the long texts.
    assert len(views.documents) == 4
