"""What a host event does inside the host's request: schedule the work, nothing else.

Called from the Saleor hooks, the channel configuration and the standalone host. No query, no
exception: the work runs in a Celery task after the host's transaction commits, so the task sees
the committed order or channel.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def order_changed(order_id) -> None:
    from .tasks import sync_order_now, sync_order_task

    order_id = str(order_id)

    def enqueue():
        try:
            sync_order_task.delay(order_id)
        except Exception:
            # The host's transaction has committed; a broker outage must neither break the
            # host's follow-up work nor lose the order's rewards, so the sync runs here instead.
            logger.warning(
                "could not schedule the rewards sync of order %s; running it now",
                order_id,
                exc_info=True,
            )
            try:
                sync_order_now(order_id)
            except Exception:
                logger.exception(
                    "rewards sync of order %s failed; the order's next event syncs it", order_id
                )

    transaction.on_commit(enqueue)


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
