"""Order dividend (DESIGN §6): the free-order queue's expiry at the day's end. Confirmations,
payouts and refunds of queue entries are the rules kernel's (`kernel.events`), applied by
`lifecycle`.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

_EXPIRE = (
    "UPDATE dividend_queue_entry SET status = 'expired', closed_at = %s"
    " WHERE channel_id = %s AND status = 'waiting' AND expires_at <= %s"
)


def expire_entries(channel, now=None) -> int:
    """Waiting entries past their lifetime leave the queue unpaid (what they received stays)."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_EXPIRE, [now, channel.pk, now])
        return cursor.rowcount
