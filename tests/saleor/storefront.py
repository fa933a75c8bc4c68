"""Saleor's storefront API as a customer uses it, for the integration tests."""

from decimal import Decimal

import graphene
from saleor.account.models import User
from saleor.graphql.tests.fixtures import ApiClient
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order.models import Order

from saleor_dividend_plugin.models import OrderRecord

DUMMY_GATEWAY = "mirumee.payments.dummy"
REWARDS_URL = "/plugins/channel/main/saleor_dividend_plugin/graphql/"
ADDRESS = {
    "firstName": "John",
    "lastName": "Doe",
    "streetAddress1": "Tęczowa 7",
    "city": "WROCŁAW",
    "postalCode": "53-601",
    "country": "PL",
    "phone": "+48713988102",
}

TOKEN_CREATE = """
mutation($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) { token errors { field message } }
}"""
CHECKOUT_CREATE = """
mutation($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) {
    checkout { id shippingMethods { id } }
    errors { field code message }
  }
}"""
DELIVERY_METHOD_UPDATE = """
mutation($id: ID, $method: ID) {
  checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $method) {
    errors { field code message }
  }
}"""
ADD_PROMO_CODE = """
mutation($id: ID, $code: String!) {
  checkoutAddPromoCode(id: $id, promoCode: $code) { errors { field code message } }
}"""
CHECKOUT_TOTAL = """
query($id: ID) { checkout(id: $id) { totalPrice { gross { amount } } } }
"""
PAYMENT_CREATE = """
mutation($id: ID, $input: PaymentInput!) {
  checkoutPaymentCreate(id: $id, input: $input) { errors { field code message } }
}"""
CHECKOUT_COMPLETE = """
mutation($id: ID) {
  checkoutComplete(id: $id) { order { id } errors { field code message } }
}"""


def mutation_data(response, name: str) -> dict:
    data = get_graphql_content(response)["data"][name]
    assert not data.get("errors"), data["errors"]
    return data


class Storefront:
    """A customer buying through Saleor's storefront API: checkout, delivery, payment with
    Saleor's dummy gateway (captures at once), completion."""

    def __init__(self, channel, variant, shipping_method):
        self.channel = channel
        self.variant_id = graphene.Node.to_global_id("ProductVariant", variant.pk)
        self.shipping_method_id = graphene.Node.to_global_id("ShippingMethod", shipping_method.pk)

    def start_checkout(self, client: ApiClient, quantity: int) -> str:
        data = mutation_data(
            client.post_graphql(
                CHECKOUT_CREATE,
                {
                    "input": {
                        "channel": self.channel.slug,
                        "email": client.user.email,
                        "lines": [{"variantId": self.variant_id, "quantity": quantity}],
                        "shippingAddress": ADDRESS,
                        "billingAddress": ADDRESS,
                    }
                },
            ),
            "checkoutCreate",
        )
        checkout_id = data["checkout"]["id"]
        mutation_data(
            client.post_graphql(
                DELIVERY_METHOD_UPDATE, {"id": checkout_id, "method": self.shipping_method_id}
            ),
            "checkoutDeliveryMethodUpdate",
        )
        return checkout_id

    def add_promo_code(self, client: ApiClient, checkout_id: str, code: str) -> dict:
        response = client.post_graphql(ADD_PROMO_CODE, {"id": checkout_id, "code": code})
        return get_graphql_content(response)["data"]["checkoutAddPromoCode"]

    def total(self, client: ApiClient, checkout_id: str) -> Decimal:
        content = get_graphql_content(client.post_graphql(CHECKOUT_TOTAL, {"id": checkout_id}))
        return Decimal(str(content["data"]["checkout"]["totalPrice"]["gross"]["amount"]))

    def pay_and_complete(self, client: ApiClient, checkout_id: str) -> Order:
        amount = self.total(client, checkout_id)
        if amount > 0:
            mutation_data(
                client.post_graphql(
                    PAYMENT_CREATE,
                    {
                        "id": checkout_id,
                        "input": {
                            "gateway": DUMMY_GATEWAY,
                            "token": "charged",
                            "amount": amount,
                        },
                    },
                ),
                "checkoutPaymentCreate",
            )
        return self.complete(client, checkout_id)

    def complete(self, client: ApiClient, checkout_id: str) -> Order:
        data = mutation_data(
            client.post_graphql(CHECKOUT_COMPLETE, {"id": checkout_id}), "checkoutComplete"
        )
        _, pk = graphene.Node.from_global_id(data["order"]["id"])
        return Order.objects.get(pk=pk)

    def buy(self, customer: User, quantity: int) -> Order:
        client = ApiClient(user=customer)
        return self.pay_and_complete(client, self.start_checkout(client, quantity))


def record_of(order: Order) -> OrderRecord:
    return OrderRecord.objects.get(order_id=str(order.pk))


def saleor_token(api_client, user, password="password") -> str:
    """The customer signs in through Saleor's own `tokenCreate`."""
    response = api_client.post_graphql(TOKEN_CREATE, {"email": user.email, "password": password})
    data = get_graphql_content(response)["data"]["tokenCreate"]
    assert data["errors"] == []
    return data["token"]


def post_rewards(client, query, token=None, url=REWARDS_URL):
    """POST a query to the plugin's endpoint, signed in with a Saleor access token if given."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(url, {"query": query}, content_type="application/json", **headers)
