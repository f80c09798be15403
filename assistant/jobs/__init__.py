"""Ingestion as Celery jobs on Redis (the cluster profile): enqueue, work, follow.

enqueue.py  `assistant ingest` in the cluster profile: removals, shards, one job each
worker.py   `assistant worker`: the Celery worker and its one task, `ingest_shard`
status.py   `assistant ingest --status`: jobs of the latest runs and the manifest
queue.py    the Celery app (broker, acknowledgement after the work, visibility timeout)
"""
