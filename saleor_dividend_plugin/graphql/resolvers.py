"""What the queries read. Every queryset here is limited to the request's channel; member-level
ones to the member the caller is allowed to see, decided by the caller of these functions."""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import F, IntegerField
from django.db.models.expressions import RawSQL

from .. import models, points
from ..ledger import channel_day
from ..models import AccountKind, QueueStatus, queue_tally
from ..reporting.live import ReportError, channel_report
from ..reporting.report import MONEY_COLUMNS
from .core.context import RequestError
from .core.types import money
from .core.validators import decode_id, storable


@dataclass(frozen=True)
class AccountView:
    """A customer's rewards in the request's channel. `member` is None for a customer who has no
    membership yet: the account reads as empty and nothing is created by looking at it."""

    member: models.Member | None


@dataclass(frozen=True)
class PointValueView:
    day: object
    value: object
    backing: object
    outstanding: object


def resolve_reward_account(info) -> AccountView | None:
    context = info.context
    if context.user is None:
        return None
    member = models.Member.objects.filter(channel=context.channel, user_id=context.user.pk).first()
    return AccountView(member)


def resolve_reward_member(info, id=None, email=None) -> AccountView | None:
    context = info.context
    if (id is None) == (email is None):
        raise RequestError("Give either `id` or `email`.")
    members = models.Member.objects.filter(channel=context.channel)
    if id is not None:
        try:
            pk = decode_id(id, "RewardAccount")
        except ValidationError as error:
            raise RequestError(f"Not a RewardAccount ID: {id[:80]!r}.") from error
        member = members.filter(pk=pk).first()
    elif not storable(email):
        member = None  # no address can hold it, and PostgreSQL refuses to compare with it
    else:
        field = get_user_model().get_email_field_name()
        member = members.filter(**{f"user__{field}__iexact": email.strip()}).first()
    return AccountView(member) if member else None


def _days(queryset, field: str, day_range):
    if day_range:
        if day_range.get("gte") is not None:
            queryset = queryset.filter(**{f"{field}__gte": day_range["gte"]})
        if day_range.get("lte") is not None:
            queryset = queryset.filter(**{f"{field}__lte": day_range["lte"]})
    return queryset


# A waiting entry's place in its channel's queue: the waiting entries up to and including it.
# Written as SQL because Django takes longer to compile the same correlated subquery from
# OuterRef and Subquery than PostgreSQL takes to run it (a customer's account page asks for it on
# every read).
_POSITION = (
    "CASE WHEN dividend_queue_entry.status = %s THEN (SELECT count(*) FROM dividend_queue_entry"
    " AS ahead WHERE ahead.channel_id = dividend_queue_entry.channel_id AND ahead.status = %s"
    " AND ahead.seq <= dividend_queue_entry.seq) END"
)


def resolve_queue_entries(info, member, filter=None):
    if member is None:
        return models.QueueEntry.objects.none()
    waiting = QueueStatus.WAITING.value
    entries = (
        models.QueueEntry.objects.filter(member=member)
        # The order's number as a column rather than the order as a row: the page is then its
        # rows, one query without a subquery of keys, and no order objects to build.
        .annotate(
            order_number=F("order__number"),
            position=RawSQL(_POSITION, (waiting, waiting), output_field=IntegerField()),
        )
    )
    if filter and filter.get("statuses"):
        entries = entries.filter(status__in=filter["statuses"])
    return entries


def resolve_releases(info, member, filter=None):
    if member is None:
        return models.Release.objects.none()
    return _days(models.Release.objects.filter(member=member), "day", (filter or {}).get("day"))


class History:
    """A member's history lines, paged without their postings, which `show` then reads for the
    page alone: one query for the lines' keys and amounts, one for the twenty postings they
    belong to, instead of one that joined four tables and built four objects per line."""

    def __init__(self, member, filter=None):
        filter = filter or {}
        # The member's accounts by id, not by a join: the lines are a view over the
        # transfers, whose two sides PostgreSQL reaches by their account indexes only for ids
        # it is given (a join made it scan every transfer of the store: seconds at ten
        # million).
        accounts = models.Account.objects.filter(member=member).only("kind", "member_id")
        self.accounts = {account.pk: account for account in accounts} if member else {}
        kinds = filter.get("accounts")
        wanted = [pk for pk, a in self.accounts.items() if not kinds or a.kind in kinds]
        lines = models.Entry.objects.filter(account_id__in=wanted).only(
            "transaction_id", "account_id", "amount"
        )
        lines = _days(lines, "transaction__day", filter.get("day"))
        if filter.get("kinds"):
            lines = lines.filter(transaction__kind__in=filter["kinds"])
        self.lines = lines

    def show(self, lines) -> None:
        """Give each line of a page its posting (and the posting its order) and its account."""
        postings = models.LedgerTransaction.objects.filter(
            pk__in={line.transaction_id for line in lines}
        ).select_related("order")
        postings = postings.only(
            "created_at", "day", "kind", "memo", "order__number", "order__member_id"
        )
        by_id = {posting.pk: posting for posting in postings}
        for line in lines:
            line.transaction = by_id[line.transaction_id]
            line.account = self.accounts[line.account_id]


def resolve_withdrawals(info, member, filter=None):
    if member is None:
        return models.Withdrawal.objects.none()
    return _statuses(models.Withdrawal.objects.filter(member=member), filter)


def resolve_channel_withdrawals(info, filter=None):
    withdrawals = models.Withdrawal.objects.filter(member__channel=info.context.channel)
    return _statuses(withdrawals, filter)


def _statuses(withdrawals, filter):
    if filter and filter.get("statuses"):
        withdrawals = withdrawals.filter(status__in=filter["statuses"])
    return withdrawals


def resolve_gift_cards(info, member):
    if member is None:
        return models.GiftCardIssue.objects.none()
    return models.GiftCardIssue.objects.filter(member=member)


def resolve_dividend_pool(info) -> dict:
    """Public, so it reads kept figures only: the pool's account and the queue's tally (two rows
    whatever the channel's history)."""
    context = info.context
    channel = context.channel
    pool = context.accounts.system(AccountKind.DIVIDEND_POOL)
    queue = queue_tally(channel)
    currency = channel.currency
    return {
        "enabled": channel.settings.dividend_enabled,
        "balance": money(pool.balance, currency),
        "funded": money(pool.total_in, currency),
        "paid": money(pool.total_out, currency),
        "queue_length": queue.waiting,
        "queue_remaining": money(queue.remaining, currency),
        "entries_freed": queue.freed,
    }


def resolve_reward_program(info) -> dict:
    channel = info.context.channel
    config = channel.settings
    return {
        "currency": channel.currency,
        "points_per_unit": config.points_per_unit.normalize(),
        "points_min_redemption": config.points_min_redemption,
        "points_expire_days": config.points_expire_days or None,
        "free_ratio": config.free_ratio.normalize(),
        "withdrawals_enabled": config.withdrawals_enabled,
        "min_withdrawal": money(config.min_withdrawal, channel.currency),
    }


def resolve_reward_tiers(info):
    return info.context.channel.settings.tiers


def resolve_point_value(info) -> PointValueView:
    context = info.context
    accounts = context.accounts
    return PointValueView(
        day=channel_day(context.channel),
        value=context.point_value,
        backing=accounts.system(AccountKind.POINTS_BACKING).balance,
        outstanding=points.outstanding_points(accounts),
    )


def resolve_point_value_history(info, filter=None):
    values = models.PointValue.objects.filter(channel=info.context.channel)
    return _days(values, "day", (filter or {}).get("day"))


def resolve_reward_report(info, days: int) -> dict:
    channel = info.context.channel
    try:
        report = channel_report(channel, days)
    except ReportError as error:
        raise RequestError(str(error)) from None
    data, currency = report.summary, channel.currency

    def cash(amount):
        return money(amount, currency)

    def waits(figures):
        return None if figures is None else {k: decimal.Decimal(v) for k, v in figures.items()}

    return {
        "first_day": datetime.date.fromisoformat(report.rows[0]["date"]),
        "last_day": datetime.date.fromisoformat(report.rows[-1]["date"]),
        "paid_orders": data["orders"]["paid"],
        "cancelled_orders": data["orders"]["cancelled"],
        "revenue": cash(data["orders"]["revenue"]),
        "refunds": cash(data["orders"]["refunds"]),
        "funded": cash(data["platform"]["funded"]),
        "paid_to_customers": cash(data["platform"]["paid_to_customers"]),
        "cost_share_of_revenue": data["platform"]["cost_share_of_revenue"],
        "waiting_days_until_free": waits(data["queue"]["waiting_days_until_free"]),
        "waiting_days_so_far": waits(data["queue"]["waiting_days_so_far"]),
        "liabilities": cash(data["liabilities"]["total"]),
        "tiers": [{"code": c, "members": n} for c, n in data["members"]["tiers"].items()],
        "top_referrers": [{**r, "rewards": cash(r["rewards"])} for r in data["top_referrers"]],
        "warnings": data["warnings"],
        "days": [
            {
                **{k: cash(v) if k in MONEY_COLUMNS else v for k, v in row.items()},
                "date": datetime.date.fromisoformat(row["date"]),
            }
            for row in report.rows
        ],
    }
