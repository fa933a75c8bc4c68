"""Batch loaders: however many accounts a response shows, each kind of row is fetched once."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from promise import Promise
from promise.dataloader import DataLoader as BaseLoader

from ..models import MEMBER_KINDS, Account, Member


class DataLoader(BaseLoader):
    """One instance per request and loader class, kept on the context."""

    context_key: str

    def __new__(cls, context):
        if cls.context_key not in context.dataloaders:
            context.dataloaders[cls.context_key] = super().__new__(cls)
        return context.dataloaders[cls.context_key]

    def __init__(self, context):
        if getattr(self, "context", None) is None:
            self.context = context
            super().__init__()

    def batch_load_fn(self, keys):
        return Promise.resolve(self.batch_load(keys))

    def batch_load(self, keys):
        raise NotImplementedError


class BalancesByMemberIdLoader(DataLoader):
    """{account kind: balance} of each member's points, energy, contribution and wallet."""

    context_key = "balances_by_member_id"

    def batch_load(self, keys):
        balances = defaultdict(dict)
        rows = Account.objects.filter(member_id__in=keys, kind__in=MEMBER_KINDS).values_list(
            "member_id", "kind", "balance"
        )
        for member_id, kind, balance in rows:
            balances[member_id][kind] = balance
        return [balances[key] for key in keys]


class MemberByIdLoader(DataLoader):
    context_key = "member_by_id"

    def batch_load(self, keys):
        members = Member.objects.in_bulk(keys)
        return [members.get(key) for key in keys]


class EmailByUserIdLoader(DataLoader):
    context_key = "email_by_user_id"

    def batch_load(self, keys):
        model = get_user_model()
        field = model.get_email_field_name()
        emails = dict(model.objects.filter(pk__in=keys).values_list("pk", field))
        return [emails.get(key) for key in keys]
