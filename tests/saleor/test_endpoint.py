"""The storefront's rewards endpoint at Saleor's plugin URL, with Saleor's own tokens."""

import jwt
from saleor.account.models import Group
from saleor.core.jwt import create_access_token

from .storefront import REWARDS_URL, post_rewards, saleor_token

REWARDS = """
{
  rewardAccount {
    email points wallet { amount currency }
    queueEntries(first: 5) { edges { node { target { amount } received { amount } } } }
  }
}"""


def test_a_customer_reads_their_rewards_with_their_saleor_token(
    storefront, customer_user, api_client, client
):
    storefront.buy(customer_user, quantity=3)
    token = saleor_token(api_client, customer_user)

    response = post_rewards(client, REWARDS, token)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    account = response.json()["data"]["rewardAccount"]
    assert account["email"] == customer_user.email
    assert account["points"] == "30"
    assert account["wallet"] == {"amount": "0.00", "currency": "USD"}
    (entry,) = account["queueEntries"]["edges"]
    assert entry["node"] == {"target": {"amount": "30.00"}, "received": {"amount": "0.00"}}


def test_without_a_token_nobody_is_signed_in(storefront, client):
    response = post_rewards(client, REWARDS)

    assert response.status_code == 200
    assert response.json()["data"] == {"rewardAccount": None}


def test_a_token_that_is_not_saleors_reads_as_anonymous_as_in_saleors_own_api(
    storefront, customer_user, client
):
    """Saleor's own /graphql/ takes a malformed token, or one that does not say Saleor made it,
    for no token at all (`me` is null); the plugin asks Saleor, so it does the same."""
    not_saleors = jwt.encode({"owner": "another-app", "email": customer_user.email}, "k" * 32)
    for token in ("not-a-token", "a.b.c", not_saleors):
        saleor = client.post(
            "/graphql/",
            {"query": "{ me { email } }"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        response = post_rewards(client, REWARDS, token)

        assert saleor.status_code == 200, token
        assert saleor.json()["data"] == {"me": None}, token
        assert response.status_code == 200, token
        assert response.json() == {"data": {"rewardAccount": None}}, token


def test_a_forged_saleor_token_is_refused(storefront, customer_user, client):
    """A token that says Saleor made it but is not signed by Saleor: Saleor refuses it with an
    error, and so does the plugin, with 401."""
    genuine = create_access_token(customer_user)
    payload = jwt.decode(genuine, options={"verify_signature": False})
    forged = jwt.encode(payload, "not the key Saleor signs with, in 32+ bytes", algorithm="HS256")

    saleor = client.post(
        "/graphql/",
        {"query": "{ me { email } }"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {forged}",
    )
    response = post_rewards(client, REWARDS, forged)

    # Saleor signs with RS256 when it has a private key, else HS256 (its test settings).
    assert (saleor.status_code, saleor.json()["data"]) == (200, {"me": None})
    assert saleor.json()["errors"][0]["extensions"]["exception"]["code"] in {
        "InvalidSignatureError",
        "InvalidAlgorithmError",
    }
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["exception"]["code"] == ("InvalidTokenError")


def test_a_token_saleor_rejects_is_refused(storefront, customer_user, api_client, client):
    token = saleor_token(api_client, customer_user)
    # Changing the password signs the customer out everywhere: Saleor rotates the token key.
    customer_user.set_password("new password")
    customer_user.jwt_token_key = "rotated"
    customer_user.save()

    response = post_rewards(client, REWARDS, token)

    assert response.status_code == 401
    assert "errors" in response.json()


def test_browser_and_preflight_requests(storefront, client):
    playground = client.get(REWARDS_URL)
    preflight = client.options(REWARDS_URL, HTTP_ORIGIN="https://shop.example.com")

    assert playground.status_code == 200
    assert playground["Content-Type"].startswith("text/html")
    assert preflight.status_code == 200
    assert "POST" in preflight["Access-Control-Allow-Methods"]


def test_only_the_graphql_path_is_served(storefront, client):
    without_slash = REWARDS_URL.removesuffix("/")
    elsewhere = REWARDS_URL.replace("graphql", "admin")

    assert post_rewards(client, REWARDS, url=without_slash).status_code == 200
    assert post_rewards(client, REWARDS, url=elsewhere).status_code == 404
    # Per-channel only: Saleor's global plugin route refuses it.
    assert client.post("/plugins/global/saleor_dividend_plugin/graphql/").status_code == 404


def test_a_channel_without_the_plugin_active_serves_nothing(configure_plugin, channel_USD, client):
    configure_plugin(channel_USD, active=False)

    assert post_rewards(client, REWARDS).status_code == 404


MEMBER = """
query($email: String!) { rewardMember(email: $email) { email points } }
"""


def test_staff_read_a_customers_rewards_with_saleors_manage_orders(
    storefront, customer_user, staff_user, permission_group_manage_orders, api_client, client
):
    storefront.buy(customer_user, quantity=3)
    query = {"query": MEMBER, "variables": {"email": customer_user.email}}

    def read():
        token = saleor_token(api_client, staff_user)
        return client.post(
            REWARDS_URL,
            query,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        ).json()

    refused = read()
    permission_group_manage_orders.user_set.add(staff_user)
    allowed = read()

    assert refused["data"] == {"rewardMember": None}
    assert "MANAGE_ORDERS" in refused["errors"][0]["message"]
    assert allowed == {"data": {"rewardMember": {"email": customer_user.email, "points": "30"}}}


def test_staff_act_only_in_the_channels_their_permission_groups_reach(
    storefront,
    customer_user,
    staff_user,
    permission_manage_orders,
    channel_USD,
    channel_PLN,
    api_client,
    client,
):
    """As Saleor decides for its own staff operations: a group restricted to some channels
    reaches only those, and a staff member reaches the union of their groups' channels."""
    storefront.buy(customer_user, quantity=3)
    group = Group.objects.create(name="Orders in PLN", restricted_access_to_channels=True)
    group.permissions.add(permission_manage_orders)
    group.channels.add(channel_PLN)
    group.user_set.add(staff_user)
    query = {"query": MEMBER, "variables": {"email": customer_user.email}}

    def read():
        token = saleor_token(api_client, staff_user)
        return client.post(
            REWARDS_URL,
            query,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        ).json()

    refused = read()
    group.channels.add(channel_USD)
    allowed = read()

    assert refused["data"] == {"rewardMember": None}
    assert refused["errors"][0]["message"] == (
        f"You do not have access to the {channel_USD.slug} channel."
    )
    assert refused["errors"][0]["extensions"]["exception"]["code"] == "PermissionDenied"
    assert allowed == {"data": {"rewardMember": {"email": customer_user.email, "points": "30"}}}


def test_a_superuser_in_no_permission_group_reaches_no_channel(
    storefront, customer_user, superuser, api_client, client
):
    """Saleor gives channels through permission groups only, superusers included."""
    storefront.buy(customer_user, quantity=3)
    token = saleor_token(api_client, superuser, password="pass")
    query = {"query": MEMBER, "variables": {"email": customer_user.email}}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    refused = client.post(REWARDS_URL, query, content_type="application/json", **headers)
    full_access = Group.objects.create(name="Full access", restricted_access_to_channels=False)
    full_access.user_set.add(superuser)
    allowed = client.post(REWARDS_URL, query, content_type="application/json", **headers)

    assert refused.json()["errors"][0]["message"] == ("You do not have access to the main channel.")
    assert allowed.json() == {
        "data": {"rewardMember": {"email": customer_user.email, "points": "30"}}
    }
