"""A minimal Django project that installs the plugin the way Saleor does (an installed app next to
the host's own apps), for the tests, the demo and the benchmarks. Not shipped in the wheel."""

import os
from urllib.parse import unquote, urlsplit


def database_from_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, got {parts.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "dividend",
        "USER": unquote(parts.username or "postgres"),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 5432),
        "CONN_MAX_AGE": 0,
        "TEST": {"NAME": os.environ.get("TEST_DATABASE_NAME") or None},
    }


SECRET_KEY = os.environ.get("SECRET_KEY", "standalone-host-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "standalone_host.urls"
# Nothing is served from here; Django's test server (live_server) needs the setting all the same.
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dividend")
    )
}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_celery_beat",
    "standalone_host.store",
    # Saleor appends the entry point name to INSTALLED_APPS; the standalone host does the same.
    "saleor_dividend_plugin",
]
MIDDLEWARE = []
TEMPLATES = []
# Nothing is served from here; Django's live test server, which the browser tests run, needs it.
STATIC_URL = "/static/"

# The plugin reaches its host (orders, customers, gift cards, auth) only through this object.
DIVIDEND_HOST = "standalone_host.store.host.StandaloneHost"

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/1")
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "") == "1"
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Celery closes a worker's database connections around every task unless this is set: then a
# connection serves about this many tasks (a connect costs more than an order event's queuing).
if os.environ.get("CELERY_DB_REUSE_MAX"):
    CELERY_DB_REUSE_MAX = int(os.environ["CELERY_DB_REUSE_MAX"])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "saleor_dividend_plugin": {"handlers": ["console"], "level": "WARNING"},
        # graphql-core logs every error raised in a resolver, refused permissions included;
        # the API logs the unexpected ones itself (as Saleor's settings do).
        "graphql.execution.utils": {"propagate": False, "level": "CRITICAL"},
        "graphql.execution.executor": {"propagate": False, "level": "CRITICAL"},
    },
}
