"""The endpoint itself: methods, CORS, channels, tokens, and what an error may reveal."""

import json
import time

from django.core import signing
from django.test import RequestFactory

from saleor_dividend_plugin.graphql import schema as schema_module
from saleor_dividend_plugin.graphql.views import handle_graphql_request
from saleor_dividend_plugin.models import Member
from standalone_host.store.host import StandaloneHost, token_for

from .conftest import error_codes

POOL = "{ dividendPool { queueLength } }"
ME = "{ rewardAccount { points } }"


def test_get_serves_the_playground_posting_to_the_same_url(client, channel):
    response = client.get("/graphql/?channel=web")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert "createPlayground" in page
    assert 'data-endpoint="&quot;http://testserver/graphql/?channel=web&quot;"' in page


def test_plugin_path_serves_the_channel_it_is_called_for(rf: RequestFactory, make_channel):
    make_channel("web")
    make_channel("outlet", currency="EUR")
    path = "/plugins/channel/outlet/saleor_dividend_plugin/graphql/"
    request = rf.post(
        path,
        data=json.dumps({"query": "{ pointValue { currency } }"}),
        content_type="application/json",
    )
    response = handle_graphql_request(request, "outlet")
    assert response.status_code == 200
    assert json.loads(response.content) == {"data": {"pointValue": {"currency": "EUR"}}}
    page = handle_graphql_request(rf.get(path), "outlet").content.decode()
    assert f"http://testserver{path}" in page


def test_cors_preflight_allows_post_with_authorization(client, channel):
    response = client.options("/graphql/?channel=web")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert set(response["Access-Control-Allow-Headers"].split(", ")) == {
        "Authorization",
        "Content-Type",
    }
    posted = client.post(
        "/graphql/?channel=web", data={"query": POOL}, content_type="application/json"
    )
    assert posted["Access-Control-Allow-Origin"] == "*"


def test_other_methods_are_not_allowed(client, channel):
    for method in (client.put, client.delete, client.patch):
        response = method("/graphql/?channel=web")
        assert response.status_code == 405
        assert response["Allow"] == "GET, POST, OPTIONS"


def test_the_channel_comes_from_the_query_string_or_a_header(client, make_channel):
    make_channel("web")
    make_channel("outlet", currency="EUR")
    query = json.dumps({"query": "{ pointValue { currency } }"})
    by_header = client.post(
        "/graphql/", data=query, content_type="application/json", HTTP_X_CHANNEL="outlet"
    )
    assert by_header.json() == {"data": {"pointValue": {"currency": "EUR"}}}
    by_query = client.post("/graphql/?channel=web", data=query, content_type="application/json")
    assert by_query.json() == {"data": {"pointValue": {"currency": "USD"}}}


def test_unknown_missing_and_inactive_channels_are_refused(client, make_channel):
    make_channel("closed", active=False)
    query = json.dumps({"query": POOL})
    for url in ("/graphql/", "/graphql/?channel=nowhere", "/graphql/?channel=closed"):
        response = client.post(url, data=query, content_type="application/json")
        assert response.status_code == 404, url
        assert error_codes(response.json()) == ["ChannelNotFound"]


def test_malformed_requests_get_400(client, channel):
    cases = [
        ("not json", "application/json"),
        (json.dumps([{"query": POOL}]), "application/json"),
        (json.dumps({"query": ""}), "application/json"),
        (json.dumps({"query": POOL, "variables": [1]}), "application/json"),
        (POOL, "application/graphql"),
        (json.dumps({"query": "{ nope }"}), "application/json"),
        (json.dumps({"query": "{ dividendPool "}), "application/json"),
    ]
    for body, content_type in cases:
        response = client.post("/graphql/?channel=web", data=body, content_type=content_type)
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["message"], body
        assert "data" not in response.json()


def test_anonymous_callers_see_public_data_and_no_account(api):
    query = "{ dividendPool { queueLength } rewardAccount { points } }"
    assert api.data(query) == {"dividendPool": {"queueLength": 0}, "rewardAccount": None}


class _TwoHoursAgo(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 7200)


def test_invalid_and_expired_tokens_are_refused_without_running_anything(api, customer):
    for token, code in (
        ("not-a-token", "InvalidTokenError"),
        (
            signing.dumps(customer.pk, salt="standalone-host", key="another-secret"),
            "InvalidTokenError",
        ),
        (_TwoHoursAgo(salt="standalone-host").sign_object(customer.pk), "ExpiredSignatureError"),
    ):
        body = api(ME, token=token)
        assert api.status == 401
        assert error_codes(body) == [code]
        assert "data" not in body
    assert not Member.objects.exists()
    assert api.data(ME, token=token_for(customer)) == {"rewardAccount": {"points": "0"}}


class ExpiredSignatureError(Exception):
    """Named like PyJWT's, which Saleor's token check raises."""


class JwtHost(StandaloneHost):
    def authenticate(self, request):
        raise PermissionError("Signature has expired") from ExpiredSignatureError()


def test_an_expired_token_is_told_apart_so_the_storefront_can_refresh_it(api, settings):
    settings.DIVIDEND_HOST = f"{__name__}.JwtHost"
    body = api(ME, token="whatever")
    assert api.status == 401
    assert body == {
        "errors": [
            {
                "message": "Signature has expired",
                "extensions": {"exception": {"code": "ExpiredSignatureError"}},
            }
        ]
    }


def test_a_token_of_a_deactivated_customer_counts_as_anonymous(api, customer):
    token = token_for(customer)
    customer.is_active = False
    customer.save()
    assert api.data(ME, token=token) == {"rewardAccount": None}


def test_unexpected_errors_reveal_nothing(api, customer, monkeypatch, caplog):
    def broken(info):
        raise RuntimeError('duplicate key value violates unique constraint "secret_table_pkey"')

    monkeypatch.setattr(schema_module.resolvers, "resolve_dividend_pool", broken)
    body = api(POOL, user=customer)
    assert api.status == 200
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "Internal Server Error"
    assert error["extensions"] == {"exception": {"code": "InternalServerError"}}
    assert "secret_table" not in json.dumps(body)
    assert "secret_table_pkey" in caplog.text


def test_oversized_documents_are_refused_before_they_run(api, rewarded, customer):
    page = "history(first: 1) { edges { node { amount } } }"
    aliases = " ".join(f"a{n}: rewardAccount {{ {page} }}" for n in range(120))
    body = api(f"{{ {aliases} }}", user=customer)
    assert api.status == 400
    assert body["errors"][0]["message"] == "The query asks for more than 500 fields."

    # Each level doubles the work: 2**20 fields from a few lines.
    levels = ["fragment F0 on RewardHistoryEntry { amount }"]
    levels += [
        f"fragment F{n} on RewardHistoryEntry {{ ...F{n - 1} a: amount ...F{n - 1} }}"
        for n in range(1, 21)
    ]
    query = "{ rewardAccount { history(first: 1) { edges { node { ...F20 } } } } } " + " ".join(
        levels
    )
    body = api(query, user=customer)
    assert api.status == 400
    assert body["errors"][0]["message"] == "The query asks for more than 500 fields."

    five = " ".join(f'r{n}: referrerSet(code: "X") {{ errors {{ code }} }}' for n in range(5))
    body = api(f"mutation {{ {five} }}", user=customer)
    assert body["errors"][0]["message"] == "At most 4 mutations per request."
    few = " ".join(f"a{n}: rewardAccount {{ {page} }}" for n in range(4))
    assert len(api.data(f"{{ {few} }}", user=customer)) == 4


def test_a_query_text_is_parsed_and_validated_once(api, customer, monkeypatch):
    from saleor_dividend_plugin.graphql import views

    validated = []
    real = views.validate
    monkeypatch.setattr(views, "validate", lambda *args: validated.append(1) or real(*args))
    views.documents.clear()
    for _ in range(3):
        assert api.data(ME, user=customer) == {"rewardAccount": {"points": "0"}}
    assert len(validated) == 1
    # An invalid document is refused each time with the same errors, also validated once.
    for _ in range(2):
        body = api("{ rewardAccount { nope } }", user=customer)
        assert api.status == 400
        assert "nope" in body["errors"][0]["message"]
    assert len(validated) == 2
