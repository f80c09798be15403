"""Instructions aimed at an assistant, found in documents ("ignore previous instructions",
"tell the user ...", "system prompt").

The patterns are data (`ingest/injection_patterns.yaml`, or the file named by
`ASSISTANT_INGEST_INJECTION_PATTERNS`). Each sentence that matches is cut from the text
before chunking, so it is never indexed, retrieved or quoted, and is reported with a
snippet so a person can look at the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from assistant.errors import ConfigurationError
from ingest.sentences import sentence_spans

_SNIPPET_CHARS = 120


@dataclass(frozen=True)
class InjectionDetector:
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def load(cls, path: Path | None = None) -> InjectionDetector:
        """The patterns of `path`, or the shipped list when None."""
        try:
            raw = (
                path.read_text(encoding="utf-8")
                if path is not None
                else resources.files("ingest").joinpath("injection_patterns.yaml").read_text()
            )
            data = yaml.safe_load(raw)
        except (OSError, yaml.YAMLError) as error:
            raise ConfigurationError(f"cannot read injection patterns {path}: {error}") from error
        items = data.get("patterns") if isinstance(data, dict) else data
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise ConfigurationError(
                f"injection patterns {path or 'ingest/injection_patterns.yaml'}: expected a "
                "list of regular expressions under `patterns:`"
            )
        compiled: list[re.Pattern[str]] = []
        for item in items:
            try:
                compiled.append(re.compile(item, re.IGNORECASE))
            except re.error as error:
                raise ConfigurationError(f"injection pattern {item!r}: {error}") from error
        return cls(tuple(compiled))

    def matches(self, text: str) -> bool:
        return any(pattern.search(text) for pattern in self.patterns)

    def strip(self, text: str) -> tuple[str, list[str]]:
        """`text` without the sentences that match, and a snippet of each one cut."""
        if not self.matches(text):
            return text, []
        cut: list[tuple[int, int]] = []
        snippets: list[str] = []
        for start, end, sentence in sentence_spans(text):
            if self.matches(sentence):
                cut.append((start, end))
                snippets.append(_snippet(sentence))
        if not cut:  # a match across sentence boundaries: cut the whole paragraph(s)
            return _cut_paragraphs(text, self), [_snippet(text[:_SNIPPET_CHARS])]
        pieces: list[str] = []
        position = 0
        for start, end in cut:
            pieces.append(text[position:start])
            position = end
        pieces.append(text[position:])
        return "".join(pieces), snippets


def _cut_paragraphs(text: str, detector: InjectionDetector) -> str:
    return "\n\n".join(p for p in text.split("\n\n") if not detector.matches(p))


def _snippet(sentence: str) -> str:
    flat = " ".join(sentence.split())
    return flat if len(flat) <= _SNIPPET_CHARS else flat[: _SNIPPET_CHARS - 3] + "..."
