import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "standalone_host.settings")

app = Celery("standalone_host")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
