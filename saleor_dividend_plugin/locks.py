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


def lock_channel(channel_id: int, timeout: str | None = None) -> None:
    """Take the channel's lock until the transaction ends; with `timeout` (e.g. "30s"), give up
    after waiting that long (PostgreSQL's lock_timeout, for the rest of the transaction). One
    statement either way: the order drain takes it once per batch."""
    with connection.cursor() as cursor:
        if timeout is None:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LockSpace.CHANNEL, channel_id])
        else:
            # A single-row SELECT evaluates its list in order: the timeout is set before the wait.
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true), pg_advisory_xact_lock(%s, %s)",
                [timeout, LockSpace.CHANNEL, channel_id],
            )
