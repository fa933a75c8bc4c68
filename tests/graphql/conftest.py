import json
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from graphql_relay import to_global_id

from saleor_dividend_plugin.host import GiftCard
from saleor_dividend_plugin.models import Account, Entry, LedgerTransaction, Withdrawal
from standalone_host.store.host import StandaloneHost, token_for
from standalone_host.store.models import GroupChannels

D = Decimal


class Api:
    """Posts GraphQL to the standalone host's endpoint, as a storefront would."""

    def __init__(self, client, channel):
        self.client = client
        self.channel = channel
        self.status = None

    def __call__(self, query, variables=None, *, user=None, token=None, channel=None, url=None):
        headers = {}
        if user is not None:
            token = token_for(user)
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        slug = (channel or self.channel).slug
        response = self.client.post(
            url or f"/graphql/?channel={slug}",
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            **headers,
        )
        self.status = response.status_code
        return response.json()

    def data(self, query, variables=None, **kwargs):
        """The response's data, failing the test on any error."""
        body = self(query, variables, **kwargs)
        assert "errors" not in body, body["errors"]
        assert self.status == 200
        return body["data"]


@pytest.fixture
def api(client, channel):
    return Api(client, channel)


def error_codes(body) -> list[str]:
    return [error["extensions"]["exception"]["code"] for error in body.get("errors", [])]


def staff_group(*permissions, channels=None) -> Group:
    """A permission group of the standalone host, like Saleor's: `permissions` are codenames;
    `channels` (slugs) restricts it to those channels, None reaches every channel."""
    group = Group.objects.create(name=f"staff {uuid.uuid4().hex[:8]}")
    for codename in permissions:
        group.permissions.add(
            Permission.objects.get(codename=codename.lower(), content_type__app_label="store")
        )
    if channels is not None:
        GroupChannels.objects.create(
            group=group, restricted_access_to_channels=True, channels=list(channels)
        )
    return group


@pytest.fixture
def make_staff(make_user):
    def make(*permissions, superuser=False, channels=None):
        user = make_user("staff", is_staff=True, is_superuser=superuser)
        user.groups.add(staff_group(*permissions, channels=channels))
        return user

    return make


def account_id(member) -> str:
    return to_global_id("RewardAccount", member.pk)


def withdrawal_id(withdrawal: Withdrawal) -> str:
    return to_global_id("RewardWithdrawal", withdrawal.pk)


def ledger_state():
    """Everything a mutation could have moved: postings, entries and every balance."""
    return (
        LedgerTransaction.objects.count(),
        Entry.objects.count(),
        sorted(Account.objects.values_list("pk", "balance")),
        Withdrawal.objects.count(),
    )


class GiftCardHost(StandaloneHost):
    """The standalone host, issuing gift cards as Saleor does (the standalone host has none)."""

    issued: list[dict] = []

    def issue_gift_card(self, *, user_id, channel, currency, amount, note):
        number = len(self.issued) + 1
        self.issued.append(dict(user_id=user_id, channel=channel, currency=currency, amount=amount))
        return GiftCard(id=str(number), code=f"GIFT-{number:04d}")


@pytest.fixture
def gift_cards(settings):
    settings.DIVIDEND_HOST = f"{__name__}.GiftCardHost"
    GiftCardHost.issued.clear()
    return GiftCardHost.issued


@pytest.fixture
def customer(make_user):
    return make_user("alice")


@pytest.fixture
def rewarded(shop, customer, make_user):
    """Alice's paid order of 100.00 and Bob's later one of 100.00, in a channel with default
    settings: Alice holds 100 points worth 0.05 each (backing 10.00 / 200 points), 300.00 of
    energy, 100.00 of contribution, and 40.00 in her wallet: the dividend pool's 20.00 from each
    order, paid to her queue entry (target 100.00)."""
    shop.order(customer, 100)
    shop.order(make_user("bob"), 100)
    return shop.member(customer)
