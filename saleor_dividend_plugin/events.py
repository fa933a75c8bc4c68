"""What a host event does inside the host's request: schedule the work, nothing else.

Called from the Saleor hooks, the channel configuration and the standalone host. No query and no
exception inside the host's transaction: the work is deferred until the host commits, so it sees
the committed order or channel. An order event then queues the order id in one statement and
calls its channel's drain (a Celery task) only when none is outstanding; a channel's change
sends a Celery task.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def order_changed(order_id, channel_slug: str | None = None) -> None:
    """Order `order_id` (of channel `channel_slug`, when the caller knows it without a query)
    changed: once the host commits, queue it for its channel's drain and call the drain if none is
    outstanding (`lifecycle.queue_event`)."""
    order_id = str(order_id)

    def enqueue():
        from .host import get_host
        from .lifecycle import drain, queue_event
        from .tasks import drain_channel_task

        try:
            slug = channel_slug or get_host().order_channel(order_id)
            queued = queue_event(slug, order_id) if slug else None
        except Exception:
            # The plugin's tables are out of reach (a database restart, a host not migrated
            # yet): a task retries the whole sync later.
            logger.warning(
                "could not queue the rewards sync of order %s; sending it as a task",
                order_id,
                exc_info=True,
            )
            _send_sync(order_id)
            return
        if queued is None or not queued[2]:
            # No rewards channel (nothing to do), or a drain is already called and will see it.
            return
        channel_id = queued[0]
        try:
            drain_channel_task.delay(channel_id)
        except Exception:
            # The host's transaction has committed; a broker outage must neither break the
            # host's follow-up work nor leave the order waiting, so the drain runs here instead.
            logger.warning(
                "could not call the rewards drain of channel %s; running it now",
                channel_id,
                exc_info=True,
            )
            try:
                drain(channel_id)
            except Exception:
                logger.exception(
                    "rewards drain of channel %s failed; the channel's next event drains it",
                    channel_id,
                )

    transaction.on_commit(enqueue)


def _send_sync(order_id: str) -> None:
    from .tasks import sync_order_task

    try:
        sync_order_task.delay(order_id)
    except Exception:
        logger.exception(
            "could not schedule the rewards sync of order %s; its next event syncs it", order_id
        )


def channel_switched_on(slug: str) -> None:
    """A channel is active again: catch up, in a task after the commit, on what changed in its
    recorded orders while it was inactive (the configuration save itself stays fast)."""
    from .tasks import catch_up_channel

    def enqueue():
        try:
            catch_up_channel.delay(slug)
        except Exception:
            # Catching up inline could take minutes in the Dashboard's request; switching the
            # channel off and on again schedules it anew.
            logger.exception(
                "could not schedule the catch-up of channel %s; switch it off and on again to"
                " retry",
                slug,
            )

    transaction.on_commit(enqueue)
