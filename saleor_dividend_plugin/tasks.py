"""Celery tasks. They take ids only, are safe to run any number of times, and retry only what
can succeed later (lock timeouts, serialization failures, dropped connections)."""

from __future__ import annotations

import datetime
import logging

from celery import Task, shared_task
from django.db import connections
from django.db.models import F, Q

from .host import get_host
from .lifecycle import RETRYABLE, changes, drain, queue_event, record_events
from .models import Channel, OrderRecord, OrderStatus
from .settlement import is_settled, settle_due, settle_until

logger = logging.getLogger(__name__)


class PluginTask(Task):
    """Celery's Task, and a connection that broke during the task is not handed to the next.
    Celery closes a worker's connections around every task unless the host sets
    CELERY_DB_REUSE_MAX; with it set, a connection dropped mid-task (a database restart, a
    terminated backend) would otherwise fail every task that follows until Celery recycles it."""

    def on_retry(self, exc, task_id, args, kwargs, einfo):
        _close_broken_connections()

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        _close_broken_connections()


def _close_broken_connections() -> None:
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()


def _task(**options):
    # Based on Celery's own Task: these tasks write to the primary database by design; hosts that
    # wrap their own tasks to flag writer-database use (Saleor's RestrictWriterDBTask) would log
    # every posting.
    return shared_task(
        base=PluginTask,
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
    """Bring the rewards of host order `order_id` in line with the order now: queue it for its
    channel and drain the channel's pending events (`lifecycle.drain`, which reads the order)."""
    slug = get_host().order_channel(order_id)
    if slug is None:
        outcome = "order not found: nothing to do"
    elif (queued := queue_event(slug, order_id)) is None:
        outcome = "channel not enabled"
    else:
        channel_id, event, _ = queued
        outcome = drain(channel_id, wanted=event)
    logger.info("order %s: %s", order_id, outcome)
    return outcome


@_task()
def sync_order_task(order_id: str) -> str:
    """One order's sync: what order events sent before they called drains (messages still queued
    across an upgrade), and what an order event falls back to when it cannot queue itself."""
    return sync_order_now(order_id)


@_task()
def drain_channel_task(channel_id: int) -> str:
    """Called by an order event when no drain of the channel was outstanding
    (`events.order_changed`): apply the channel's pending events, unless a worker already is."""
    outcomes: dict[int, str] = {}
    drain(channel_id, outcomes=outcomes)
    if not outcomes:
        return "nothing pending, or left to the channel's running drain"
    return f"{len(outcomes)} order events applied"


# Orders read per query while catching up; each is synced in its own short transaction.
CATCH_UP_BATCH = 500


def catch_up_now(channel_slug: str) -> str:
    """Sync every recorded order of the channel that the host can still change in a way the
    rewards follow: pending ones (paid, edited or cancelled meanwhile) and confirmed ones not yet
    fully refunded. Saleor does not call a plugin's hooks in a channel where it is inactive, so
    this is how the changes made while the program was paused reach the rewards. `sync_order`
    applies only what differs, so orders that did not change post nothing. The orders are queued
    and drained a batch at a time."""
    channel = Channel.objects.filter(slug=channel_slug, active=True).first()
    if channel is None:
        return f"channel {channel_slug} not enabled: nothing to catch up"
    open_orders = OrderRecord.objects.filter(channel=channel).filter(
        Q(status=OrderStatus.PENDING) | Q(status=OrderStatus.CONFIRMED, refunded__lt=F("amount"))
    )
    total = open_orders.count()
    checked = changed = 0
    last = 0
    while True:
        batch = list(
            open_orders.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "order_id")[:CATCH_UP_BATCH]
        )
        if not batch:
            break
        # Queued together and drained together: one transaction per batch, not per order.
        outcomes = {}
        events = record_events(channel, [order_id for _, order_id in batch])
        drain(channel.pk, outcomes=outcomes)
        changed += sum(1 for event in events if changes(outcomes.get(event, "")))
        checked += len(batch)
        last = batch[-1][0]
        logger.info(
            "channel %s catching up: %d of %d recorded orders checked, %d changed",
            channel_slug,
            checked,
            total,
            changed,
        )
    return f"{checked} recorded orders checked, {changed} changed"


@_task()
def catch_up_channel(channel_slug: str) -> str:
    """Scheduled when a channel is switched on again: see `catch_up_now`."""
    return catch_up_now(channel_slug)


@_task()
def settle_due_days(channel_slug: str) -> list[str]:
    """Beat's daily task: settle every ended day of the channel that is not settled yet. It
    first applies the channel's pending order events, so that events whose drain call was lost
    (and no later event called again) wait a day at most; they are confirmed today either way."""
    channel = Channel.objects.filter(slug=channel_slug, active=True).first()
    if channel is None:
        return []
    drain(channel.pk)
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
