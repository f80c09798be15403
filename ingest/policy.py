"""What ingestion may index and how much: access rule, limits, injection patterns, lock.

Built from the settings (`IngestPolicy.from_settings`); the defaults equal the settings'
defaults so a bare `Ingestor` (tests, benches) behaves like the product.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings
from ingest.injection import InjectionDetector

_MB = 1024 * 1024
# Bump when a change to loading or to the access rule must re-index files whose bytes did
# not change (the digest a file is compared by includes this and the policy below).
_RULES_VERSION = "3"  # 3: a numbered list item's marker is no sentence of its own


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = int(25 * _MB)
    max_unpacked_bytes: int = int(100 * _MB)
    max_chunks: int = 5000


@dataclass(frozen=True)
class IngestPolicy:
    account_bound_types: frozenset[str] = frozenset({"account_note", "meddicc", "deal_note"})
    limits: Limits = field(default_factory=Limits)
    lock_timeout: float = 30.0
    injection: InjectionDetector = field(default_factory=InjectionDetector.load)

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestPolicy:
        return cls(
            account_bound_types=frozenset(settings.ingest_account_bound_types),
            limits=Limits(
                max_file_bytes=int(settings.ingest_max_file_mb * _MB),
                max_unpacked_bytes=int(settings.ingest_max_unpacked_mb * _MB),
                max_chunks=settings.ingest_max_chunks_per_file,
            ),
            lock_timeout=settings.ingest_lock_timeout,
            injection=InjectionDetector.load(settings.ingest_injection_patterns),
        )

    def fingerprint(self) -> str:
        """Changes when the rules that shape indexed text or access tags change."""
        data = {
            "version": _RULES_VERSION,
            "account_bound": sorted(self.account_bound_types),
            "injection": [pattern.pattern for pattern in self.injection.patterns],
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def megabytes(size: int) -> str:
    return f"{size / _MB:.1f} MB"


def over_file_limit(path: Path, limits: Limits) -> str | None:
    """Why `path` is too big to load, or None."""
    size = path.stat().st_size
    if size <= limits.max_file_bytes:
        return None
    return (
        f"file is {megabytes(size)}, over the {megabytes(limits.max_file_bytes)} limit "
        "(raise ASSISTANT_INGEST_MAX_FILE_MB to index it)"
    )


def over_chunk_limit(chunks: int, limits: Limits, *, at_least: bool = False) -> str | None:
    if chunks <= limits.max_chunks:
        return None
    return (
        f"would give {'at least ' if at_least else ''}{chunks} chunks, over the limit of "
        f"{limits.max_chunks} per file (raise ASSISTANT_INGEST_MAX_CHUNKS_PER_FILE to index it)"
    )
