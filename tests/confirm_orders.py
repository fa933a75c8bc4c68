"""One of the processes of tests/test_dividend_concurrency.py: confirms store orders in parallel
with its siblings, the way Celery workers deliver order events.

    python -m tests.confirm_orders FILE    (FILE: one store order id a line)

DATABASE_URL names the database. The process sets Django up, writes "ready", waits for a line on
stdin so that all processes start together, then syncs each order in turn.
"""

import os
import sys

import django


def main(path: str) -> None:
    with open(path) as ids:
        order_ids = ids.read().split()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "standalone_host.settings")
    django.setup()
    from saleor_dividend_plugin.lifecycle import sync_order
    from standalone_host.store.host import snapshot
    from standalone_host.store.models import StoreOrder

    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    for order_id in order_ids:
        sync_order(snapshot(StoreOrder.objects.prefetch_related("lines").get(pk=order_id)))


if __name__ == "__main__":
    main(sys.argv[1])
