"""Grounding and citation precision: is each claim backed by the evidence it cites?

A chunk supports a claim when both hold (a deterministic check, no model judging):
- lexical: at least `min_recall` of the claim's content words (stemmed, stop words dropped:
  `assistant.retrieval.text.tokenize`) occur in the chunk, and every number of the claim
  does (by value, see `numeric`): "live within 45 days" is not backed by "within 30 days";
- semantic: the best cosine of the claim's embedding with the chunk's or one of the chunk's
  sentences' is at least `min_cosine` (skipped when no embedder is given, as in unit tests).
A tool call supports a claim when every number of the claim occurs in the call (arguments
and result); a claim without numbers is supported by any tool call it cites.

grounding: share of claims with at least one supporting marker.
citation precision: share of (claim, cited chunk) attachments where the chunk supports the
claim; a listed citation that no claim refers to counts as one unsupported attachment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from assistant.evaluation.claims import Claim
from assistant.evaluation.numeric import unsupported_numbers
from assistant.retrieval.text import tokenize
from ingest.sentences import split_sentences

Embed = Callable[[Sequence[str]], npt.NDArray[np.float32]]
Supported = Callable[[Claim, str], bool]

# Calibrated on eval/suites/knowledge.yaml with all-MiniLM-L6-v2 (see eval/README.md).
MIN_RECALL = 0.6
MIN_COSINE = 0.5


def token_recall(claim: str, evidence: str) -> float:
    """Share of the claim's distinct content words found in the evidence (1.0 for none)."""
    words = set(tokenize(claim))
    if not words:
        return 1.0
    return len(words & set(tokenize(evidence))) / len(words)


def grounding(claims: Sequence[Claim], supported: Supported) -> float | None:
    """Share of claims backed by one of their markers; None when there is no claim."""
    if not claims:
        return None
    return sum(any(supported(c, m) for m in c.markers) for c in claims) / len(claims)


def citation_precision(
    claims: Sequence[Claim], cited: Sequence[str], supported: Supported
) -> float | None:
    """Share of chunk attachments that support their claim. `cited` holds the markers of the
    chunks the response lists ("1", "2", ...); None when nothing is cited or attached."""
    pairs = [(claim, marker) for claim in claims for marker in claim.chunk_markers]
    attached = {marker for _, marker in pairs}
    unattached = [marker for marker in dict.fromkeys(cited) if marker not in attached]
    total = len(pairs) + len(unattached)
    if total == 0:
        return None
    return sum(supported(claim, marker) for claim, marker in pairs) / total


@dataclass
class SupportCheck:
    """The deterministic support test, with an embedding cache per text."""

    min_recall: float = MIN_RECALL
    min_cosine: float = MIN_COSINE
    embed: Embed | None = None
    _vectors: dict[str, npt.NDArray[np.float32]] = field(default_factory=dict, repr=False)

    def _embedded(self, texts: Sequence[str]) -> list[npt.NDArray[np.float32]]:
        assert self.embed is not None
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.embed(missing), strict=True):
                self._vectors[text] = vector
        return [self._vectors[t] for t in texts]

    def similarity(self, claim: str, chunk: str) -> float | None:
        """The best cosine of the claim with the chunk or one of its sentences (a sentence
        quoted from a long chunk matches its sentence, not the chunk's average)."""
        if self.embed is None:
            return None
        vectors = self._embedded([claim, chunk, *split_sentences(chunk)])
        return max(float(np.dot(vectors[0], other)) for other in vectors[1:])

    def chunk_supports(self, claim: str, chunk: str) -> bool:
        if not chunk.strip() or token_recall(claim, chunk) < self.min_recall:
            return False
        if unsupported_numbers(claim, [chunk]):
            return False
        similarity = self.similarity(claim, chunk)
        return similarity is None or similarity >= self.min_cosine

    @staticmethod
    def tool_supports(claim: str, call: str) -> bool:
        return not unsupported_numbers(claim, [call])


@dataclass
class Evidence:
    """What an answer's markers point at: chunk texts by "n", tool calls (as text) by "Tn"."""

    chunks: Mapping[str, str]
    tools: Mapping[str, str]
    check: SupportCheck
    _memo: dict[tuple[str, str], bool] = field(default_factory=dict, repr=False)

    def supported(self, claim: Claim, marker: str) -> bool:
        key = (claim.text, marker)
        if key not in self._memo:
            if marker.startswith("T"):
                call = self.tools.get(marker)
                self._memo[key] = call is not None and self.check.tool_supports(claim.text, call)
            else:
                chunk = self.chunks.get(marker)
                self._memo[key] = chunk is not None and self.check.chunk_supports(claim.text, chunk)
        return self._memo[key]

    def unsupported(self, claims: Sequence[Claim]) -> list[str]:
        return [c.text for c in claims if not any(self.supported(c, m) for m in c.markers)]
