"""Celery tasks. They take ids only, are safe to run any number of times, and retry only what
can succeed later (lock timeouts, serialization failures, dropped connections)."""

from __future__ import annotations

import datetime
import logging

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError, connection, transaction

from .host import get_host
from .lifecycle import sync_order
from .models import Channel
from .settlement import is_settled, settle_due, settle_until

logger = logging.getLogger(__name__)

RETRYABLE = (OperationalError, InterfaceError)
# How long an order sync waits for the channel lock (held by other syncs and, for a few seconds
# per step, by the daily settlement) before giving up and retrying later.
ORDER_LOCK_TIMEOUT = "30s"


def _task(**options):
    # `base=Task`: these tasks write to the primary database by design; hosts that wrap their own
    # tasks to flag writer-database use (Saleor's RestrictWriterDBTask) would log every posting.
    return shared_task(
        base=Task,
        autoretry_for=RETRYABLE,
        retry_backoff=2,
        retry_backoff_max=300,
        retry_jitter=True,
        max_retries=10,
        # A worker that dies mid-task gets the message back: every task here may run again.
        acks_late=True,
        reject_on_worker_lost=True,
        **options,
    )


def sync_order_now(order_id: str) -> str:
    """Bring the rewards of host order `order_id` in line with the order."""
    snapshot = get_host().load_order(order_id)
    if snapshot is None:
        return "order not found: nothing to do"
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [ORDER_LOCK_TIMEOUT])
        outcome = sync_order(snapshot)
    logger.info("order %s: %s", order_id, outcome)
    return outcome


@_task()
def sync_order_task(order_id: str) -> str:
    return sync_order_now(order_id)


@_task()
def settle_due_days(channel_slug: str) -> list[str]:
    """Beat's daily task: settle every ended day of the channel that is not settled yet."""
    channel = Channel.objects.filter(slug=channel_slug, active=True).first()
    if channel is None:
        return []
    return [str(result) for result in settle_due(channel)]


@_task()
def settle_channel_day(channel_slug: str, day: str) -> str:
    """Settle `day` (YYYY-MM-DD), after any unsettled day before it. A day that has not ended yet
    raises `SettlementError` (not retried)."""
    channel = Channel.objects.filter(slug=channel_slug).first()
    if channel is None:
        return f"no rewards channel {channel_slug!r}: nothing to do"
    day = datetime.date.fromisoformat(day)
    results = settle_until(channel, day)
    if results:
        return "; ".join(str(result) for result in results)
    if is_settled(channel, day):
        return f"{day}: already settled"
    return f"{day}: nothing to settle (no paid order by then)"
