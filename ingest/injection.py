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

from assistant import yaml_load
from assistant.errors import ConfigurationError
from ingest.sentences import sentence_spans

_SNIPPET_CHARS = 120
_PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n)")
_STRUCTURE = re.compile(r"^\s*(?:#|[-*+|>]|\d+[.)]\s)")  # headings, lists, tables, quotes


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
            data = yaml_load.safe_load(raw)
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

    def cut(self, text: str) -> tuple[str, list[str]]:
        """`text` without the sentences that match, and a snippet of each one cut.

        Works per paragraph; a prose paragraph's lines are joined first, so a sentence
        wrapped over two lines goes as a whole."""
        if not self.matches(text):
            return text, []
        pieces: list[str] = []
        snippets: list[str] = []
        for part in _PARAGRAPH_BREAK.split(text):
            if _PARAGRAPH_BREAK.fullmatch(part) or not self.matches(part):
                pieces.append(part)
                continue
            lines = part.split("\n")
            if not any(_STRUCTURE.match(line) for line in lines):
                part = " ".join(line.strip() for line in lines)
            kept, cut = self._cut_sentences(part)
            if not cut:  # a match across sentences: the paragraph goes
                kept, cut = "", [_snippet(part)]
            pieces.append(kept)
            snippets.extend(cut)
        return "".join(pieces), snippets

    def _cut_sentences(self, paragraph: str) -> tuple[str, list[str]]:
        kept: list[str] = []
        cut: list[str] = []
        position = 0
        for start, end, sentence in sentence_spans(paragraph):
            if self.matches(sentence):
                kept.append(paragraph[position:start])
                position = end
                cut.append(_snippet(sentence))
        kept.append(paragraph[position:])
        return "".join(kept), cut


def _snippet(sentence: str) -> str:
    flat = " ".join(sentence.split())
    return flat if len(flat) <= _SNIPPET_CHARS else flat[: _SNIPPET_CHARS - 3] + "..."
