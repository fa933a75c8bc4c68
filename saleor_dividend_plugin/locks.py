"""Advisory locks. Keys are (space, id) pairs; the spaces are never renumbered."""

from enum import IntEnum

from django.db import connection


class LockSpace(IntEnum):
    # Every posting of a channel runs under this lock: the dividend pool, the queue head and the
    # release pool are one serial stream per channel, and balance updates never deadlock.
    CHANNEL = 7_310_001
    # One settlement runner per channel at a time (days go in order); the second sees it taken
    # and stops.
    SETTLEMENT = 7_310_002
    # One worker at a time drains a channel's pending order events; the others queue theirs and
    # go on to their next task (lifecycle.drain).
    DRAIN = 7_310_003


def lock_channel(channel_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LockSpace.CHANNEL, channel_id])
