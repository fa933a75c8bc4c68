"""The demo's clock: a month of orders is played in a few minutes, so the time the plugin sees is
set by the demo, day by day, instead of read from the wall.

The plugin and the standalone host read the time only through `django.utils.timezone.now`, so
replacing that one function sets the clock for them. The demo does it in its own process with
`DemoClock.install`; its Celery worker is started with `-A standalone_host.demo_clock`, which does
it in the worker and, before every task, reads the time the demo last set (kept in Redis under the
key named by DIVIDEND_DEMO_CLOCK). Nothing else of the code paths changes; no production process
ever imports this module.
"""

from __future__ import annotations

import datetime
import os

from celery.signals import task_prerun
from django.utils import timezone

from .celery import app

CLOCK_KEY_ENV = "DIVIDEND_DEMO_CLOCK"

__all__ = ["app", "DemoClock", "CLOCK_KEY_ENV"]


def _redis(url: str):
    import redis

    return redis.Redis.from_url(url)


class DemoClock:
    def __init__(self, key: str, redis_url: str):
        self.key = key
        self.redis_url = redis_url
        self._client = None
        self.now = datetime.datetime.now(datetime.UTC)

    @property
    def client(self):
        if self._client is None:
            self._client = _redis(self.redis_url)
        return self._client

    def install(self) -> None:
        timezone.now = lambda: self.now

    def set(self, when: datetime.datetime) -> None:
        """Set the time here and for the worker's next tasks."""
        self.now = when.astimezone(datetime.UTC)
        self.client.set(self.key, self.now.timestamp(), ex=24 * 3600)

    def read(self) -> None:
        value = self.client.get(self.key)
        if value is not None:
            self.now = datetime.datetime.fromtimestamp(float(value), datetime.UTC)

    def forget(self) -> None:
        self.client.delete(self.key)


def _worker_clock() -> DemoClock | None:
    key = os.environ.get(CLOCK_KEY_ENV)
    if not key:
        return None
    from django.conf import settings

    clock = DemoClock(key, settings.CELERY_BROKER_URL)
    clock.install()
    return clock


_clock = _worker_clock()

if _clock is not None:

    @task_prerun.connect(weak=False)
    def _read_clock(**kwargs) -> None:
        _clock.read()
