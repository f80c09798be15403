"""The grounded composer: answers built from the best-supported sentences of retrieved chunks.

No generative model. Each sentence of the top chunks is scored against the question
(IDF-weighted term overlap with the sentence, with its section path, and the chunk's rank);
the best ones are quoted, each followed by its citation marker `[n]`. When the evidence is
weak (dense similarity or term coverage under calibrated thresholds) the composer declines
and cites nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.engine.sentences import split_sentences
from assistant.engine.types import Citation
from assistant.retrieval.hybrid import Hit, SearchResult
from assistant.retrieval.text import tokenize

DECLINE = (
    "The knowledge base does not cover this question, so I won't guess. "
    "Try rephrasing it with the product, process or account it is about."
)


@dataclass(frozen=True)
class ComposerConfig:
    max_sentences: int = 4
    min_similarity: float = 0.30
    min_overlap: float = 0.20
    chunks_considered: int = 6
    relative_cutoff: float = 0.55


@dataclass
class Composition:
    answer: str
    citations: list[Citation]
    declined: bool
    evidence: float  # share of the question's weighted terms found in the top chunks


@dataclass
class _Candidate:
    text: str
    hit: Hit
    rank: int
    score: float
    tokens: frozenset[str]


class GroundedComposer:
    def __init__(self, config: ComposerConfig | None = None) -> None:
        self.config = config or ComposerConfig()

    @staticmethod
    def coverage(
        question_terms: Sequence[str], hits: Sequence[Hit], idf: Callable[[str], float]
    ) -> float:
        """IDF-weighted share of question terms that occur in the top chunks."""
        if not question_terms or not hits:
            return 0.0
        found: set[str] = set()
        for hit in hits[:3]:
            found.update(tokenize(f"{hit.metadata.get('section', '')}\n{hit.chunk.text}"))
        total = sum(idf(t) for t in question_terms)
        return sum(idf(t) for t in question_terms if t in found) / total if total else 0.0

    def compose(self, question: str, result: SearchResult) -> Composition:
        hits = result.hits
        terms = list(dict.fromkeys(tokenize(question)))
        evidence = self.coverage(terms, hits, result.idf)
        if (
            not hits
            or result.best_dense < self.config.min_similarity
            or evidence < self.config.min_overlap
        ):
            return Composition(DECLINE, [], True, evidence)
        chosen = self._select(terms, hits, result.idf)
        if not chosen:
            return Composition(DECLINE, [], True, evidence)
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        for candidate in chosen:
            chunk = candidate.hit.chunk
            if chunk.id not in numbers:
                numbers[chunk.id] = len(numbers) + 1
                citations.append(
                    Citation(
                        n=numbers[chunk.id],
                        chunk_id=chunk.id,
                        source=str(chunk.metadata.get("source", "")),
                        title=str(chunk.metadata.get("title", "")),
                        section=str(chunk.metadata.get("section", "")),
                        snippet=_snippet(chunk.text),
                        score=round(candidate.hit.score, 6),
                    )
                )
            text = candidate.text.rstrip()
            if text[-1:] not in ".!?。！？":
                text += "."
            parts.append(f"{text} [{numbers[chunk.id]}]")
        return Composition(" ".join(parts), citations, False, evidence)

    def _select(
        self, terms: Sequence[str], hits: Sequence[Hit], idf: Callable[[str], float]
    ) -> list[_Candidate]:
        weights = {t: idf(t) for t in terms}
        total = sum(weights.values()) or 1.0
        top_score = hits[0].score or 1.0
        candidates: list[_Candidate] = []
        for rank, hit in enumerate(hits[: self.config.chunks_considered]):
            section_terms = set(tokenize(str(hit.metadata.get("section", ""))))
            section = sum(w for t, w in weights.items() if t in section_terms) / total
            prior = hit.score / top_score
            for sentence in split_sentences(hit.chunk.text):
                tokens = frozenset(tokenize(sentence))
                if len(tokens) < 3:
                    continue
                lexical = sum(w for t, w in weights.items() if t in tokens) / total
                score = 0.6 * lexical + 0.2 * section + 0.2 * prior
                if len(sentence) > 400:
                    score *= 0.8
                candidates.append(_Candidate(sentence, hit, rank, score, tokens))
        if not candidates:
            return []
        candidates.sort(key=lambda c: (-c.score, c.rank))
        best = candidates[0].score
        chosen: list[_Candidate] = []
        for candidate in candidates:
            if len(chosen) >= self.config.max_sentences:
                break
            if candidate.score < best * self.config.relative_cutoff:
                break
            if any(_similar(candidate.tokens, other.tokens) for other in chosen):
                continue
            chosen.append(candidate)
        return chosen


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) / max(len(a | b), 1) > 0.7


def _snippet(text: str, limit: int = 280) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
