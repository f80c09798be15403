"""Metadata for any format: a sidecar `<file>.meta.yaml` and folder `_meta.yaml` files.

Markdown carries its own front matter; a DOCX, HTML, PDF or text file gets the same keys
(`doc_type`, `accounts`, `title`, `tags`, `audience`, anything else) from YAML beside it, so
access tags do not depend on the format:

    knowledge/notes/_meta.yaml            doc_type: account_note    (this folder and below)
    knowledge/notes/q3.docx.meta.yaml     accounts: [ACC-007]       (this file)

Precedence, lowest first: folder files from the ingested root down, the file's own
metadata (front matter, a document title), the sidecar. A metadata file that is not a
YAML mapping makes its documents unreadable (reported, not indexed with guessed tags).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant import yaml_load
from assistant.errors import LoaderError

SIDECAR_SUFFIX = ".meta.yaml"
FOLDER_FILE = "_meta.yaml"


def is_metadata_file(path: Path) -> bool:
    return path.name == FOLDER_FILE or path.name.endswith(SIDECAR_SUFFIX)


@dataclass(frozen=True)
class ExternalMetadata:
    folder: dict[str, Any] = field(default_factory=dict)  # below the file's own metadata
    sidecar: dict[str, Any] = field(default_factory=dict)  # above it

    def fingerprint(self) -> str:
        """Part of the file's digest, so editing a metadata file re-indexes its documents."""
        if not self.folder and not self.sidecar:
            return ""
        return json.dumps([self.folder, self.sidecar], sort_keys=True, default=str)


def _read(path: Path, source: str) -> dict[str, Any]:
    try:
        data = yaml_load.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise LoaderError(source, f"unreadable metadata file {path.name}: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LoaderError(source, f"metadata file {path.name} must be a YAML mapping")
    return {str(key): value for key, value in data.items()}


def external_metadata(path: Path, folders: list[Path], source: str) -> ExternalMetadata:
    """The folder and sidecar metadata of `path`; `folders` run from the file's own folder
    up to the ingested root (the nearest folder file wins)."""
    folder: dict[str, Any] = {}
    for directory in reversed(folders):
        candidate = directory / FOLDER_FILE
        if candidate.is_file():
            folder.update(_read(candidate, source))
    sidecar_path = path.with_name(path.name + SIDECAR_SUFFIX)
    sidecar = _read(sidecar_path, source) if sidecar_path.is_file() else {}
    return ExternalMetadata(folder, sidecar)
