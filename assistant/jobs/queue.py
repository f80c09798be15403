"""The Celery app of the ingest jobs, built from settings (never at import).

A job is acknowledged only after it ran (`acks_late`), one at a time per worker
(`prefetch_multiplier=1`): a worker killed mid-job never acknowledges it, and Redis gives
it to another worker once the visibility timeout has passed; the manifest makes the redo
idempotent (the job's files are checked by hash, a `pending` file's leftovers deleted).
"""

from __future__ import annotations

from celery import Celery

from assistant.config import Settings
from assistant.errors import ConfigurationError

SHARD_TASK = "assistant.ingest_shard"


def celery_app(settings: Settings) -> Celery:
    if not settings.redis_url:
        raise ConfigurationError(
            "ingest jobs need a broker: set ASSISTANT_REDIS_URL (redis://host:port/0)"
        )
    timeout = settings.ingest_visibility_timeout
    transport = {
        "visibility_timeout": timeout,
        # look for jobs of dead workers a few times per timeout, not every 100 s (default)
        "unacked_restore_interval": max(1, min(10, int(timeout / 3))),
        "unacked_restore_throttle": 1,
    }
    app = Celery("assistant", broker=settings.redis_url, backend=settings.redis_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        result_expires=86_400,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app
