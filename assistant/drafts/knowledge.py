"""What drafts read from the knowledge index: sections of the customer's documents, and
cited guidance found by meaning. The section names and questions come from the draft
templates (assistant/drafts/templates.py); nothing here knows a heading.

Three ways in, all returning quotes of real chunks:
- `pick`: the sentences of a section named by a template hint (matched on the end of the
  chunk's section path), optionally only those matching a pattern.
- `search`: hybrid retrieval + the grounded composer for the template's question, used when
  the hinted section is absent. The composer's own decline rule applies.
- `closest`: within one document (a service one-pager, a deal note), the section closest in
  meaning to the question, by the embedder's cosine.
Only chunks the principal may see are read (account-restricted documents are filtered).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from assistant.drafts.evidence import Quote
from assistant.engine.composer import GroundedComposer
from assistant.errors import IndexNotReadyError
from assistant.principal import Principal
from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.lexical import LexicalSource, StoredChunk
from ingest.sentences import split_sentences

GUIDANCE = frozenset({"playbook", "guide"})
_MARKED = re.compile(r"(.+?)\s\[(\d+)\](?=\s|$)", re.S)


@dataclass(frozen=True)
class ServiceDoc:
    """A service one-pager in the index: id (file stem), title and platform modules."""

    id: str
    title: str
    source: str
    modules: tuple[str, ...]
    tags: tuple[str, ...] = ()


class Knowledge:
    def __init__(
        self,
        lexical: LexicalSource,
        retriever: HybridRetriever,
        composer: GroundedComposer,
        k: int = 8,
        *,
        modules: Sequence[str],
    ) -> None:
        self.modules = tuple(modules)  # the rules' product modules (one-pager tags)
        self.lexical = lexical
        self.retriever = retriever
        self.composer = composer
        self.k = k
        self._vectors: dict[str, Any] = {}

    def chunks(
        self,
        principal: Principal,
        doc_types: frozenset[str] | None = None,
        *,
        source: str | None = None,
        title: str | None = None,
        account: str | None = None,
    ) -> list[StoredChunk]:
        """Visible chunks, optionally of some document types, one source, one title or the
        documents about one account, in document order."""
        where = SearchFilter(
            doc_types=doc_types, account=account, visible_accounts=principal.accounts
        )
        found = [
            c
            for c in self.lexical.index.chunks
            if where.matches(c.metadata)
            and source in (None, c.metadata.get("source"))
            and title in (None, c.metadata.get("title"))
        ]
        return sorted(
            found, key=lambda c: (str(c.metadata.get("source")), int(c.metadata.get("position", 0)))
        )

    def section(
        self,
        principal: Principal,
        suffix: str,
        doc_types: frozenset[str] | None = GUIDANCE,
        *,
        source: str | None = None,
        title: str | None = None,
        account: str | None = None,
    ) -> list[StoredChunk]:
        """Chunks whose section path ends with `suffix` (case-insensitive), e.g. "Renew KPIs"."""
        wanted = suffix.lower()
        return [
            c
            for c in self.chunks(principal, doc_types, source=source, title=title, account=account)
            if str(c.metadata.get("section", "")).lower().endswith(wanted)
        ]

    def pick(
        self,
        principal: Principal,
        suffix: str,
        *,
        must: str | None = None,
        limit: int = 2,
        doc_types: frozenset[str] | None = GUIDANCE,
        source: str | None = None,
        title: str | None = None,
        account: str | None = None,
        query: str | None = None,
    ) -> list[Quote]:
        """Sentences of a section (those matching `must`, a regex); else, with a `query`,
        what the grounded composer quotes for it."""
        chunks = self.section(
            principal, suffix, doc_types, source=source, title=title, account=account
        )
        quotes = sentences(chunks, re.compile(must, re.I) if must else None, limit)
        if not quotes and query:
            quotes = self.search(principal, query, limit, doc_types or GUIDANCE)
        return quotes

    def search(
        self, principal: Principal, query: str, limit: int, doc_types: frozenset[str]
    ) -> list[Quote]:
        where = SearchFilter(doc_types=doc_types, visible_accounts=principal.accounts)
        result = self.retriever.search(query, self.k, where)
        composition = self.composer.compose(query, result)
        if composition.declined:
            return []
        by_marker = {c.n: c.chunk_id for c in composition.citations}
        by_id = {h.chunk.id: h.chunk for h in result.hits}
        quotes = [
            Quote(text.strip(), by_id[by_marker[int(n)]])
            for text, n in _MARKED.findall(composition.answer)
            if int(n) in by_marker and by_marker[int(n)] in by_id
        ]
        return quotes[:limit]

    def closest(
        self,
        principal: Principal,
        question: str,
        limit: int,
        doc_types: frozenset[str] | None,
        *,
        source: str | None = None,
        title: str | None = None,
        account: str | None = None,
    ) -> list[Quote]:
        """The sentences of the chunk of one document (or of the documents about one
        account) closest to `question`: dense cosine,
        BM25 and the overlap of the question's words with the chunk's own heading, each
        min-max normalised over the document's chunks, summed (the hybrid retriever's
        convex fusion, within one document; a heading says what its section answers)."""
        chunks = self.chunks(principal, doc_types, source=source, title=title, account=account)
        if not chunks:
            return []
        embedder = self.retriever.embedder
        todo = [c for c in chunks if c.id not in self._vectors]
        if todo:
            texts = [f"{c.metadata.get('section', '')}\n{c.text}" for c in todo]
            for chunk, vector in zip(todo, embedder.embed(texts), strict=True):
                self._vectors[chunk.id] = vector
        query = embedder.embed([question])[0]
        dense = [float(self._vectors[c.id] @ query) for c in chunks]
        index = self.lexical.index
        bm25 = index.scores(question)
        positions = [index.position(c.id) for c in chunks]
        lexical = [float(bm25[p]) if bm25 is not None and p is not None else 0.0 for p in positions]
        heading = [_heading_overlap(question, str(c.metadata.get("section", ""))) for c in chunks]
        fused = [
            a + b + h for a, b, h in zip(_unit(dense), _unit(lexical), _unit(heading), strict=True)
        ]
        best = chunks[max(range(len(chunks)), key=fused.__getitem__)]
        return sentences([best], None, limit)

    def services(self, principal: Principal) -> list[ServiceDoc]:
        """The service one-pagers in the index (id = file name without extension); a tag that
        names one of the product modules (the rules') is a module the service works on. 503
        when there is no BM25 index to read them from (not "unknown service": it may exist)."""
        if not len(self.lexical.index):
            raise IndexNotReadyError(
                "the knowledge index is unavailable (no BM25 index is loaded), so service "
                "one-pagers cannot be read; run `assistant ingest` and retry"
            )
        by_source: dict[str, list[StoredChunk]] = defaultdict(list)
        for chunk in self.chunks(principal, frozenset({"one_pager"})):
            by_source[str(chunk.metadata.get("source", ""))].append(chunk)
        docs = []
        for source, chunks in by_source.items():
            tags = {str(t).lower() for c in chunks for t in c.metadata.get("tags", [])}
            docs.append(
                ServiceDoc(
                    id=PurePosixPath(source).stem,
                    title=str(chunks[0].metadata.get("title", source)),
                    source=source,
                    modules=tuple(m for m in self.modules if m in tags),
                    tags=tuple(sorted(tags)),
                )
            )
        return sorted(docs, key=lambda d: d.id)


def sentences(
    chunks: list[StoredChunk], must: re.Pattern[str] | None = None, limit: int | None = None
) -> list[Quote]:
    """The chunks' sentences in order, without the repeats that chunk overlap creates."""
    quotes: list[Quote] = []
    seen = ""
    for chunk in chunks:
        for sentence in split_sentences(chunk.text):
            text = sentence.strip()
            if len(text) < 3 or text in seen:
                continue
            seen += "\n" + text
            if must is None or must.search(text):
                quotes.append(Quote(text, chunk))
            if limit is not None and len(quotes) >= limit:
                return quotes
    return quotes


def _unit(values: list[float]) -> list[float]:
    """Min-max normalised to 0..1 (all zeros when the values are equal)."""
    low, high = min(values), max(values)
    return [0.0 if high == low else (v - low) / (high - low) for v in values]


def _stems(text: str) -> set[str]:
    """Content words cut to five letters ("costs" and "cost" meet; "the", "what" drop)."""
    return {w[:5] for w in re.findall(r"[a-z][a-z-]+", text.lower()) if len(w) > 3} - _FUNCTION


def _heading_overlap(question: str, section: str) -> float:
    """Share of the question's content words found in the last heading of `section`."""
    words = _stems(question)
    last = section.rsplit(">", 1)[-1]
    return len(words & _stems(last)) / len(words) if words else 0.0


_FUNCTION = frozenset(
    {"what", "which", "does", "when", "where", "there", "their", "about", "with", "from",
     "into", "this", "that", "have", "will", "shoul"}
)  # fmt: skip
