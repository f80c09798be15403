"""The grounded composer: answers built from the best-supported sentences of retrieved chunks.

No generative model. Each sentence of the top chunks is scored against the question:
IDF-weighted term overlap with the sentence and with its section path, shared word pairs,
the chunk's fused score, a bonus for figures when the question asks for one, and a penalty
for account-specific documents when the question is not about an account; question words
that most candidate chunks share (the topic) weigh less than those that tell them apart.

The answer leads with the sentence that answers, then the other strong sentences of its
chunk in document order, then the best of the rest that score close to it (an account
document's line is not added to a general answer). A question that asks for a list or a
count ("what are the stages", "the three levers") gets the whole list that the best
sentence introduces or belongs to (list items or table rows), in document order, even where
its items share no word with the question; a question that gives the list's size ("the
four quadrants") gets a list of that many items, and a sentence that gives the list in one
line ("five stages: land, onboard, ...") answers it; a question that names one item by the
item's own label ("<Label>: ..." asked as "<Label> customers") gets that item alone, not
the list. A comparison ("the difference between A
and B", "A vs B") leads with the best sentence on each side. A figure asked for that the best
sentence lacks is led by a close second of the same document that gives it; a close second
that gives the figure and holds the word the question leans on most, which the best sentence
lacks, leads ("how long ... for a <band> customer?"). A question about the action a
situation calls for ("what do we do when ...?") whose best sentence is the trigger (the
question's words in its "when" clause) is led by the action the same document gives for
that condition in its own words ("for repeated critical tickets ..."). A question
about one letter of an acronym ("what does the P in ... stand for?") is answered with the
section or list item at that letter's place in a run whose first letters spell it
(`assistant.engine.initials`). Each sentence is followed by its citation marker `[n]`.

Two checks decline (and cite nothing): the evidence check (dense similarity and the share
of question words found in the top chunks under calibrated thresholds), and the
answerability check: the chosen sentences, with their section paths, must hold enough of
the question's distinctive words (those that tell the candidate chunks apart, not the topic
they all share) and the lead sentence must be close enough to the question in meaning, so
a question that only shares its topic words with the knowledge base is declined; a figure
asked for (a price, a duration) must be in the lead sentence unless it is close in meaning,
and "how many <things>" needs a count of those things in the chosen sentences; the thing a
which/what question asks for ("which CRM do we use ...?") must be in the chosen sentences or
their sections when the question leans on that word (its salience), not on a generic head
("what method do we use ...?").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

import numpy as np

from assistant.config import Settings
from assistant.engine.answerability import load_thresholds
from assistant.engine.glossary import Equivalence, Glossary, widen
from assistant.engine.initials import LetterAsked, letter_asked, spelled_items, spelled_sections
from assistant.engine.number_words import NUMBER_WORDS
from assistant.engine.types import Citation
from assistant.retrieval.hybrid import Hit, SearchResult
from assistant.retrieval.lexical import StoredChunk
from assistant.retrieval.text import STOPWORDS, tokenize
from ingest.sentences import sentence_blocks, sentence_kinds, split_sentences

DECLINE = (
    "The knowledge base does not cover this question, so I won't guess. "
    "Try rephrasing it with the product, process or account it is about."
)
# What kind of figure a question asks for, and what a sentence holding one looks like. A
# count or a duration may be written in words ("eight letters", "within one week", "once a
# month", "every quarter"), so the patterns read number words and frequency words too.
_COUNT = (
    r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|fifteen|twenty|thirty|forty|fifty|sixty|ninety)"
)
_NUMBER = rf"(?:{_COUNT}|a|an|half an?)"
_UNIT = r"(?:(?:business|working|calendar)\s+)?(?:days?|weeks?|months?|years?|quarters?|hours?)"
_ANY_COUNT = re.compile(rf"\d|\b{_COUNT}\s+[a-z]", re.I)
_ASKS_FIGURE: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (
        re.compile(
            r"\b(cost|costs|price|priced|pricing|how much|budget|fee|fees|rate|charges?|charged)\b",
            re.I,
        ),
        re.compile(r"[$€£]\s?\d|\d\s?(k|m|usd|dollars)\b", re.I),
    ),
    (
        re.compile(
            r"\b(how (long|fast|soon|quickly|early|often|frequently|far back)|when|by when"
            r"|time|timeline|deadline|within|window|period|cadence|frequency|notice|warning)\b",
            re.I,
        ),
        re.compile(
            rf"\b{_NUMBER}\s+{_UNIT}\b|\b(once|twice)\b"
            rf"|\b(each|every|per)\s+(day|week|month|quarter|year|half year|{_NUMBER}\s+{_UNIT})\b"
            r"|\b(daily|weekly|fortnightly|monthly|quarterly|yearly|annually)\b"
            r"|\b(day|week|month|quarter|year)\s+\d",
            re.I,
        ),
    ),
    (
        re.compile(r"\b(percent|percentage|share|ratio|rate)\b|%", re.I),
        re.compile(r"\d\s?%|\d+(\.\d+)?\s?(points?|percent)\b", re.I),
    ),
    # a target, a threshold or a minimum may be of anything: a share, a score, a duration
    (
        re.compile(r"\b(how many|number of|score|points?|count|target|threshold|minimum)\b", re.I),
        _ANY_COUNT,
    ),
]
# "How many <things>": the count must be of those things ("eight letters", "10 bonus
# points"), not any number in the sentence ("$200 per employee" is no count of employees)
_HOW_MANY = re.compile(r"\bhow many\s+([^\W\d_][\w-]*)", re.I)


# A question that asks for an enumeration: a list verb, "what/which are", "how many", or a
# count before a plural noun ("the three retention levers", "5 thresholds").
_COUNTS = r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2}"
_ASKS_LIST = re.compile(
    r"\b(list|enumerate|name (?:the|all)|what are|which are|how many|all (?:the|of the))\b"
    rf"|\b(?:{_COUNTS})\s+(?:[a-z-]+\s+){{0,2}}[a-z-]+s\b"
    # "which letters are in the review?", "what modules does the product have?"
    r"|^\s*(?:which|what)\s+(?:[a-z-]+\s+)?[a-z-]{3,}s\s+(?:are|do|does|make up|belong)\b",
    re.I,
)
_LISTED = ("item", "row")
# a sentence that goes on about the one before it: it opens with a word pointing back
_GOES_ON = re.compile(r"(?:this|that|these|those|it|its|they|their|such)\b", re.I)
# "What's the difference between Harvest and Guard?", "Sound vs Watch", "compare A with B",
# "how does A differ from B": the two things compared
_COMPARED = (
    re.compile(r"\bdiffer\w*\s+between\s+(.+?)\s+and\s+(.+?)\s*[?.!]*$", re.I),
    re.compile(r"\bcompare\s+(.+?)\s+(?:and|with|to|against)\s+(.+?)\s*[?.!]*$", re.I),
    re.compile(r"\b(?:how|in what way)\s+\w+\s+(.+?)\s+differ\s+from\s+(.+?)\s*[?.!]*$", re.I),
    re.compile(r"([^\W\d_][\w\s-]*?)\s+(?:vs\.?|versus)\s+([\w\s-]+?)\s*(?:[:;,?.!]|$)", re.I),
)
# "the four quadrants", "5 stages": how many items the list asked for holds, and of what
_COUNTED = re.compile(rf"\b({_COUNTS})\s+(?:[a-z-]+\s+){{0,2}}([a-z-]+s)\b", re.I)
# list items this close in meaning to the question (cosine) answer it together (chosen by
# reading the dev split's list answers: items of the list asked about lay within 0.02 of
# each other, an item asked about alone 0.08 or more above the rest)
_SAME_MEANING = 0.03
# "What are the three retention levers?" led by a summary that names them ("this playbook
# describes ... the three retention levers"): a list introduced by one of the next sentences
# scoring at least this share of the best answers it
_LIST_INTRO_SHARE = 0.8
_LIST_INTRO_TRIES = 3
# a figure asked for that the best sentence lacks: one of the next sentences scoring at least
# this share of it that gives one leads instead
_FIGURE_SHARE = 0.85
_FIGURE_TRIES = 4
_HEADING_WORDS = 8  # a longer heading is a title of its own, not an item of an outline


# "Which CRM do we use ...?", "what margin does a reseller get?": the thing a which/what
# question asks for is the noun before its verb
_ASKED_THING = re.compile(
    r"^\s*(?:which|what)\s+((?:[^\W\d_][\w-]*\s+){0,2}?)([^\W\d_][\w-]*)\s+"
    r"(?:do|does|did|is|are|was|were|should|can|could|will|would|has|have|must)\b",
    re.I,
)


@lru_cache(maxsize=1024)
def thing_asked(question: str) -> str | None:
    """The (stemmed) noun a which/what question asks for ("crm" in "which CRM do we use for
    pipeline tracking?"); None for another question ("what do we do when ...?")."""
    found = _ASKED_THING.search(question)
    if found is None:
        return None
    if any(w.lower() in STOPWORDS for w in (found.group(1) + found.group(2)).split()):
        return None
    stems = tokenize(found.group(2))
    return stems[0] if stems else None


# "How many days / hours / points" asks for a quantity, not for a list of things.
_ASKS_QUANTITY = re.compile(
    r"\bhow many\s+(?:(?:business|working|calendar)\s+)?(?:minutes|hours|days|weeks|months"
    r"|quarters|years|points|percent|dollars|euros)\b",
    re.I,
)


@lru_cache(maxsize=1024)
def asks_for_list(question: str) -> bool:
    """Whether the question asks for a list or a count of things (not a quantity)."""
    found = _ASKS_LIST.search(question)
    if found is None:
        return False
    if found.group().lower() == "how many" and _ASKS_QUANTITY.search(question):
        return bool(_ASKS_LIST.search(_ASKS_QUANTITY.sub(" ", question)))
    return True


@lru_cache(maxsize=1024)
def _figures_asked(question: str) -> tuple[re.Pattern[str], ...]:
    """The sentence patterns of the kinds of figure `question` asks for."""
    patterns = [holds for asks, holds in _ASKS_FIGURE if asks.search(question)]
    counted = _count_asked(question)
    if counted is not None and _ANY_COUNT in patterns:
        patterns[patterns.index(_ANY_COUNT)] = counted
    return tuple(patterns)


@lru_cache(maxsize=1024)
def _count_asked(question: str) -> re.Pattern[str] | None:
    """For "how many <things>": what a sentence holding a count of those things looks like
    ("eight letters", "10 bonus points"; not "$200 per employee")."""
    many = _HOW_MANY.search(question)
    stems = tokenize(many.group(1)) if many else []
    if not stems:
        return None
    counted = rf"(?<![$€£\d.,]){_COUNT}\s+(?:[\w-]+\s+){{0,2}}{re.escape(stems[0])}"
    return re.compile(counted, re.I)


# "how many KPIs?" -> "KPIs should be few": a vague quantity answers a count too
_MIN_SALIENCE = 1e-3  # a word whose removal changes nothing still weighs a little
_VAGUE_COUNT = re.compile(r"\b(few|fewer|several|many|handful|dozens?|no more than)\b", re.I)


def _figure_bonus(question: str, sentence: str) -> float:
    return 0.08 if any(holds.search(sentence) for holds in _figures_asked(question)) else 0.0


@dataclass(frozen=True)
class ComposerConfig:
    max_sentences: int = 4
    min_similarity: float = 0.26  # below: decline whatever the term overlap
    min_overlap: float = 0.12  # below: decline whatever the similarity
    weak_similarity: float = 0.36  # below this similarity ...
    weak_overlap: float = 0.60  # ... the overlap must reach this
    chunks_considered: int = 10
    coverage_chunks: int = 5
    relative_cutoff: float = 0.55
    account_doc_penalty: float = 0.6
    lead_sentences: int = 3  # at most this many from the best sentence's chunk, in its order
    lead_cutoff: float = 0.35  # ... each scoring at least this share of the best sentence
    list_items: int = 12  # a list asked for is quoted whole up to this many items
    intro_cutoff: float = 0.8  # a sentence before the best one leads when it scores this share
    # answerability: the lead sentence's similarity to the question must reach
    # min_answer_similarity, and when it is under weak_answer_similarity the chosen sentences
    # (with their sections) must hold weak_answer_overlap of the distinctive question words;
    # a figure asked for and not in the lead sentence declines under missing_figure_similarity
    # when the chosen sentences hold less than missing_figure_overlap of the question's words
    min_answer_similarity: float = -1.0
    weak_answer_similarity: float = 0.0
    weak_answer_overlap: float = 0.0
    missing_figure_similarity: float = -1.0
    missing_figure_overlap: float = 0.0
    # "how many <things>" with no count of those things (nor a vague quantity) in the
    # chosen sentences: decline (the count asked for is not in the knowledge base)
    count_required: bool = False
    # "which X do we use ...?" with X nowhere in the chosen sentences (nor their sections, nor
    # as another name of it) and X carrying at least this salience (a word the question leans
    # on: "CRM", "margin"; not "method", "approach"): decline (above 1: off)
    missing_thing_salience: float = 2.0
    # the answer-overlap weights are scaled by each word's salience to this power (0: off)
    salience_power: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ComposerConfig:
        """The settings' values, and for a threshold left unset the calibrated one
        (assistant/engine/answerability.yaml)."""
        calibrated = load_thresholds()

        def pick(value: float | None, default: float) -> float:
            return default if value is None else value

        return cls(
            max_sentences=settings.answer_max_sentences,
            min_similarity=pick(settings.answer_min_similarity, calibrated.min_similarity),
            min_overlap=pick(settings.answer_min_overlap, calibrated.min_overlap),
            weak_similarity=pick(settings.answer_weak_similarity, calibrated.weak_similarity),
            weak_overlap=pick(settings.answer_weak_overlap, calibrated.weak_overlap),
            relative_cutoff=settings.answer_relative_cutoff,
            min_answer_similarity=pick(
                settings.answer_min_answer_similarity, calibrated.min_answer_similarity
            ),
            weak_answer_similarity=pick(
                settings.answer_weak_answer_similarity, calibrated.weak_answer_similarity
            ),
            weak_answer_overlap=pick(
                settings.answer_weak_answer_overlap, calibrated.weak_answer_overlap
            ),
            missing_figure_similarity=pick(
                settings.answer_missing_figure_similarity, calibrated.missing_figure_similarity
            ),
            missing_figure_overlap=pick(
                settings.answer_missing_figure_overlap, calibrated.missing_figure_overlap
            ),
            count_required=calibrated.count_required,
            missing_thing_salience=calibrated.missing_thing_salience,
            salience_power=calibrated.salience_power,
        )


@dataclass
class Composition:
    answer: str
    citations: list[Citation]
    declined: bool
    evidence: float  # share of the question's weighted terms found in the top chunks
    # what the decline rules saw: best_dense, evidence, answer_overlap, answer_similarity
    signals: dict[str, float] = field(default_factory=dict)


@dataclass
class _Candidate:
    text: str
    hit: Hit
    rank: int
    score: float
    tokens: frozenset[str]
    position: int = 0
    kind: str = "paragraph"
    semantic: float | None = None
    block: int = -1  # the paragraph, list item or row it stands in (-1: not known)


def _pairs(tokens: Sequence[str]) -> set[tuple[str, str]]:
    return set(pairwise(tokens))


# The same chunks, sections and sentences come back query after query: remember their
# sentences and tokens (bounded) instead of splitting and stemming them on every request.
@lru_cache(maxsize=16384)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(tokenize(text))


@lru_cache(maxsize=16384)
def _token_set(text: str) -> frozenset[str]:
    return frozenset(_tokens(text))


@lru_cache(maxsize=4096)
def _sentences(text: str) -> tuple[str, ...]:
    return tuple(split_sentences(text))


class GroundedComposer:
    def __init__(self, config: ComposerConfig | None = None, glossary: Glossary | None = None):
        self.config = config or ComposerConfig()
        # the knowledge base's own names for general concepts (its rules file)
        self.glossary = glossary or Glossary()

    def coverage(
        self,
        question_terms: Sequence[str],
        hits: Sequence[Hit],
        idf: Callable[[str], float],
        equivalences: tuple[Equivalence, ...] = (),
    ) -> float:
        """IDF-weighted share of question terms that occur in the top chunks."""
        if not question_terms or not hits:
            return 0.0
        found: set[str] = set()
        for hit in hits[: self.config.coverage_chunks]:
            text = f"{hit.metadata.get('section', '')}\n{hit.chunk.text}"
            found.update(widen(_token_set(text), equivalences))
        total = sum(idf(t) for t in question_terms)
        return sum(idf(t) for t in question_terms if t in found) / total if total else 0.0

    def declines(self, similarity: float, overlap: float) -> bool:
        c = self.config
        return (
            similarity < c.min_similarity
            or overlap < c.min_overlap
            or (similarity < c.weak_similarity and overlap < c.weak_overlap)
        )

    def compose(
        self,
        question: str,
        result: SearchResult,
        *,
        about_account: bool = False,
        focus: str | None = None,
    ) -> Composition:
        """Answer `question` from `result`. `focus` is the latest message of a follow-up whose
        `question` also holds the previous turn: the answer is about the focus, so words of
        the previous turn count for a third, and the (mixed) query vector counts less."""
        hits = result.hits
        terms = list(dict.fromkeys(tokenize(question)))
        equivalences = self.glossary.equivalences(focus or question) + tuple(
            (frozenset({full}), frozenset({short}))  # "exec" said, "executive" written
            for short in terms
            for full in result.completions(short)
        )
        evidence = self.coverage(terms, hits, result.idf, equivalences)
        signals = {"best_dense": float(result.best_dense), "evidence": evidence}
        if not hits or self.declines(result.best_dense, evidence):
            return Composition(DECLINE, [], True, evidence, signals)
        focus_terms = set(tokenize(focus)) if focus else set()

        def weight(token: str) -> float:
            return result.idf(token) * (1.0 if not focus_terms or token in focus_terms else 0.33)

        listing = asks_for_list(focus or question)
        chosen, answerability = self._select(
            question,
            terms,
            result,
            weight,
            about_account,
            bool(focus_terms),
            listing,
            equivalences,
            letter_asked(focus or question),
        )
        thing = thing_asked(focus or question)
        if thing is not None and chosen:  # "which CRM ...?": is a CRM in what answers?
            answered: set[str] = set()
            for candidate in chosen:
                section = _token_set(str(candidate.hit.metadata.get("section", "")))
                answered |= candidate.tokens | widen(section, equivalences)
            if thing not in answered:  # how much the question leans on the missing thing
                answerability["missing_thing"] = result.salience(focus or question).get(thing, 0.0)
        signals.update(answerability)
        if not chosen or self.unanswered(answerability):
            return Composition(DECLINE, [], True, evidence, signals)
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
            if text[-1:] not in ".!?。！？:":
                text += "."
            parts.append(f"{text} [{numbers[chunk.id]}]")
        return Composition(" ".join(parts), citations, False, evidence, signals)

    def unanswered(self, answerability: dict[str, float]) -> bool:
        """The answerability check: too few of the question's distinctive words in the
        chosen sentences (and their sections), a lead sentence too far from it, or a figure
        asked for (a price, a duration, a count) that the lead sentence does not give, or
        the thing a which/what question asks for, salient in it, nowhere in the answer. An
        outline of a guide's sections (`_outline`) and the items an acronym's letters stand
        for (`_spelled_out`) answer by the knowledge base's structure."""
        c = self.config
        if c.count_required and answerability.get("answer_count") == 0.0:
            return True  # "how many <things>" and no count of them in the chosen sentences
        if answerability.get("missing_thing", 0.0) >= c.missing_thing_salience:
            return True  # "which <thing> ...?" and no such thing in the chosen sentences
        similarity = answerability.get("answer_similarity")
        if similarity is None:  # no sentence vectors: only the evidence check applies
            return False
        overlap = answerability.get("answer_overlap", 0.0)
        # a price, duration or count asked for that the lead sentence does not give
        missing_figure = answerability.get("answer_figure") == 0.0
        if answerability.get("answer_outline") or answerability.get("answer_spelled"):
            # a list of a guide's sections, chosen because their parent names the question's
            # topic and the question asks for the group (or the items whose first letters
            # spell the acronym asked about): the words asked about are the guide's
            # headings, not the question's, so only the similarity floor applies
            return similarity < c.min_answer_similarity
        return (
            similarity < c.min_answer_similarity
            or (similarity < c.weak_answer_similarity and overlap < c.weak_answer_overlap)
            or (
                missing_figure
                and similarity < c.missing_figure_similarity
                and overlap < c.missing_figure_overlap
            )
        )

    def _select(
        self,
        question: str,
        terms: Sequence[str],
        result: SearchResult,
        idf: Callable[[str], float],
        about_account: bool,
        follow_up: bool = False,
        listing: bool = False,
        equivalences: tuple[Equivalence, ...] = (),
        letter: LetterAsked | None = None,
    ) -> tuple[list[_Candidate], dict[str, float]]:
        hits = result.hits[: self.config.chunks_considered]
        semantic_weight = 0.2 if follow_up else 0.45
        sentence_lists = [_sentences(hit.chunk.text) for hit in hits]
        token_sets = [
            [widen(_token_set(s), equivalences) for s in sentences] for sentences in sentence_lists
        ]
        # A question word found in most candidate chunks (say, the service's name, which is in
        # the section path of every chunk of its one-pager) names the topic, not the answer:
        # weigh words by how rare they are among these chunks too.
        chunk_terms = [
            widen(_token_set(f"{hit.metadata.get('section', '')}\n{hit.chunk.text}"), equivalences)
            for hit in hits
        ]
        local = {t: sum(t in tokens for tokens in chunk_terms) for t in terms}
        weights = {t: idf(t) * math.log(1 + len(hits) / (1 + local[t])) for t in terms}
        total = sum(weights.values()) or 1.0
        question_pairs = _pairs(tokenize(question))
        counted_things = _things_listed(question) if listing else None
        top_score = hits[0].score or 1.0
        candidates: list[_Candidate] = []
        by_chunk: dict[str, list[_Candidate]] = {}
        for rank, hit in enumerate(hits):
            section_terms = widen(_token_set(str(hit.metadata.get("section", ""))), equivalences)
            section = sum(w for t, w in weights.items() if t in section_terms) / total
            prior = hit.score / top_score
            penalty = (
                self.config.account_doc_penalty
                if hit.metadata.get("restricted") and not about_account
                else 1.0
            )
            sentences = sentence_lists[rank]
            kinds = sentence_kinds(hit.chunk.text)
            blocks = sentence_blocks(hit.chunk.text)
            semantic = self._similarities(result, hit, len(sentences))
            for position, sentence in enumerate(sentences):
                token_list = _tokens(sentence)
                tokens = token_sets[rank][position]
                kind = kinds[position] if len(kinds) == len(sentences) else "paragraph"
                similarity = None if semantic is None else float(semantic[position])
                lexical = sum(w for t, w in weights.items() if t in tokens) / total
                phrase = min(len(question_pairs & _pairs(token_list)), 2) * 0.05
                if similarity is None:
                    score = 0.55 * lexical + 0.2 * section + 0.15 * prior + phrase
                else:
                    score = (
                        semantic_weight * similarity
                        + (0.8 - semantic_weight) * lexical
                        + 0.1 * section
                        + 0.1 * prior
                        + phrase
                    )
                score += _figure_bonus(question, sentence) + _count_bonus(counted_things, sentence)
                if position == 0:
                    score += 0.03
                if len(sentence) > 400:
                    score *= 0.8
                candidate = _Candidate(
                    sentence,
                    hit,
                    rank,
                    score * penalty,
                    tokens,
                    position,
                    kind,
                    similarity,
                    blocks[position] if len(blocks) == len(sentences) else -1,
                )
                by_chunk.setdefault(hit.chunk.id, []).append(candidate)
                if len(tokens) >= 3:
                    candidates.append(candidate)
        if not candidates:
            return [], {}
        candidates.sort(key=lambda c: (-c.score, c.rank))
        asked = _figures_asked(question)
        if asked and not any(p.search(candidates[0].text) for p in asked):
            # "how often do we meet ...?": a close second of the same document that gives the
            # figure leads (another document's figure is another thing's)
            source = candidates[0].hit.metadata.get("source")
            for n, other in enumerate(candidates[1:_FIGURE_TRIES], 1):
                if other.score < candidates[0].score * _FIGURE_SHARE:
                    break
                if other.hit.metadata.get("source") == source and any(
                    p.search(other.text) for p in asked
                ):
                    candidates.insert(0, candidates.pop(n))
                    break
        elif asked:
            # "how long do we have to write a save plan for a <band> customer?": of the close
            # sentences that give the figure, the one holding more of what the question leans
            # on (the band) leads, not the one that shares a verb of little weight ("write")
            n = self._most_salient(question, result, weights, candidates, asked)
            if n:
                candidates.insert(0, candidates.pop(n))
        if _ASKS_ACTION.search(question):
            # "what do we do when a customer keeps opening sev1 tickets?": the best sentence
            # may be the trigger ("... enters <process> when two critical tickets are opened");
            # the action its document gives for that condition leads
            n = _action_for(question, candidates, result.idf)
            if n:
                candidates.insert(0, candidates.pop(n))
                asked = ()  # its "when" names the condition, not a time asked for
        leader = candidates[0]
        best = leader.score
        # "what does the P in <acronym> stand for?": the items that spell the acronym answer
        spelled = self._spelled_out(letter, result, leader, about_account) if letter else []
        # "what do we do with <Label> customers?": the item whose own label the question names
        named = [] if spelled else _item_named(leader, by_chunk[leader.hit.chunk.id], weights)
        if named:
            listing = False
        listed = self._whole_list(leader, by_chunk[leader.hit.chunk.id]) if listing else []
        list_chunk = leader.hit.chunk.id
        # the next strong sentence may introduce the list asked for, unless the best one gives
        # it in one line ("five lifecycle stages: land, onboard, ...")
        inline = counted_things is not None and counted_things.search(leader.text)
        if listing and not listed and not inline:
            for other in candidates[1:_LIST_INTRO_TRIES]:
                if other.score < best * _LIST_INTRO_SHARE:
                    break
                listed = self._whole_list(other, by_chunk[other.hit.chunk.id])
                if listed:
                    list_chunk = other.hit.chunk.id
                    break
        sized = _counted(question) if listing else None
        if sized is not None and _item_count(listed) != sized[0]:
            # "What are the four quadrants called?": a list of that many items under a
            # heading or introduction that names them, in the best chunk that has one
            found = self._counted_list(sized, hits, by_chunk)
            if found:
                listed, list_chunk = found
        # a figure asked for ("the list price", "how many letters") is no list of sections
        sections = not listed and not asked and not spelled
        outline = (
            self._outline(leader, result, weights, equivalences, named=not listing)
            if sections
            else []
        )
        asked_list = bool(listed)  # a list the question asks for (not one found to answer)
        if not outline and not listed and not named:
            listed = self._items_of_one_list(leader, by_chunk)
        chosen = spelled or outline or listed or named or self._passage(candidates, by_chunk)
        complete = spelled or outline
        sides = [] if complete or asked_list else self._sides(question, candidates, by_chunk)
        if sides:  # a comparison: the best sentence on each side leads (not the whole list)
            if listed:
                listed, chosen = [], self._passage(candidates, by_chunk)
            chosen = [*sides, *(c for c in chosen if not any(c is side for side in sides))]
        # an outline or a spelled letter is the whole answer (each item cited); a list may
        # take two more
        extra = 0 if complete else 2 if listed else self.config.max_sentences - len(chosen)
        limit = len(chosen) + extra
        general = not about_account and not leader.hit.metadata.get("restricted")
        for candidate in candidates:
            if len(chosen) >= limit or candidate.score < best * self.config.relative_cutoff:
                break
            if any(candidate is c for c in chosen) or _repeats(candidate, chosen):
                continue
            if (listed or named) and candidate.hit.chunk.id == list_chunk:
                continue  # the list is quoted whole already (or its one item asked about)
            if general and candidate.hit.metadata.get("restricted"):
                continue  # an account document's line does not serve a general answer
            chosen.append(candidate)
        answered: set[str] = set()
        for candidate in chosen:
            answered |= candidate.tokens | widen(
                _token_set(str(candidate.hit.metadata.get("section", ""))), equivalences
            )
        signals = {"answer_overlap": self._overlap(question, result, weights, answered, leader)}
        if outline:  # the guide's structure answers: its sections under the question's topic
            signals["answer_outline"] = 1.0
        if spelled:  # the items whose first letters spell the acronym asked about
            signals["answer_spelled"] = 1.0
        if leader.semantic is not None:
            signals["answer_similarity"] = leader.semantic
        if asked:  # the question asks for a figure: does the lead sentence give one?
            signals["answer_figure"] = float(any(p.search(leader.text) for p in asked))
        counted = _count_asked(question)
        if counted is not None:  # "how many <things>": does any chosen sentence count them?
            signals["answer_count"] = float(
                any(counted.search(c.text) or _VAGUE_COUNT.search(c.text) for c in chosen)
            )
        return chosen, signals

    def _most_salient(
        self,
        question: str,
        result: SearchResult,
        weights: dict[str, float],
        candidates: Sequence[_Candidate],
        asked: tuple[re.Pattern[str], ...],
    ) -> int:
        """When the best sentence gives the figure asked for but lacks the question word the
        question leans on most (its salience), the place of the first close second
        (`_FIGURE_SHARE` of its score, among the first `_FIGURE_TRIES`) that gives the figure
        and holds that word; 0 (the best sentence stays) otherwise, or without salience."""
        close = []
        for n, other in enumerate(candidates[1:_FIGURE_TRIES], 1):
            if other.score < candidates[0].score * _FIGURE_SHARE:
                break
            if any(p.search(other.text) for p in asked):
                close.append(n)
        salience = result.salience(question) if close else {}  # read only when it may matter
        known = [t for t in weights if t in salience]
        if not known:
            return 0
        top = max(known, key=lambda t: salience[t])
        if top in candidates[0].tokens:
            return 0
        return next((n for n in close if top in candidates[n].tokens), 0)

    def _overlap(
        self,
        question: str,
        result: SearchResult,
        weights: dict[str, float],
        answered: set[str],
        leader: _Candidate,
    ) -> float:
        """The weighted share of the question's words that the chosen sentences (and their
        sections) hold. With salience_power, a word's weight is also scaled by how much it
        carries the question's meaning (to that power): a paraphrased verb ("calculated",
        "looked at") weighs less than the thing asked about ("margin", "discount")."""
        c = self.config
        # the overlap decides only under the weak similarities (unanswered): the salience
        # (one embedding per content word) is read only then
        weak = max(c.weak_answer_similarity, c.missing_figure_similarity)
        close = leader.semantic is not None and leader.semantic >= weak
        power = c.salience_power
        salience = result.salience(question) if power and not close else {}
        if salience:
            weights = {
                t: w * max(salience.get(t, 0.0), _MIN_SALIENCE) ** power for t, w in weights.items()
            }
        total = sum(weights.values()) or 1.0
        return sum(w for t, w in weights.items() if t in answered) / total

    def _passage(
        self, candidates: Sequence[_Candidate], by_chunk: dict[str, list[_Candidate]]
    ) -> list[_Candidate]:
        """The lead: the best sentence, then the other strong sentences of its chunk (a
        definition and its example) in the order the document gives them; the sentence
        right after the best one in its paragraph comes too when it goes on about it ("This
        is not an error: ...")."""
        leader = candidates[0]
        limit = min(self.config.lead_sentences, self.config.max_sentences)
        passage: list[_Candidate] = []
        for candidate in candidates:
            if len(passage) >= limit or candidate.score < leader.score * self.config.lead_cutoff:
                break
            if candidate.hit.chunk.id == leader.hit.chunk.id and not _repeats(candidate, passage):
                passage.append(candidate)
        # Document order, but the answer leads with the best sentence unless what comes
        # before it in the chunk scores nearly as well (the sentence that introduces it).
        ordered = sorted(passage, key=lambda c: c.position)
        intro = [
            c
            for c in ordered
            if c.position < leader.position and c.score >= leader.score * self.config.intro_cutoff
        ]
        rest = [c for c in ordered if c is not leader and not any(c is i for i in intro)]
        sentences = by_chunk.get(leader.hit.chunk.id, [])
        after = leader.position + 1
        if after < len(sentences) and not any(c is sentences[after] for c in passage):
            then = sentences[after]
            if then.block == leader.block >= 0 and _GOES_ON.match(then.text):
                rest = [then, *(c for c in rest if c.position != after)]
        return [*intro, leader, *rest] if intro else [leader, *rest]

    def _items_of_one_list(
        self, leader: _Candidate, by_chunk: dict[str, list[_Candidate]]
    ) -> list[_Candidate]:
        """The whole list, when the best sentence is a list item and at least two other items
        of the same list are as close to the question in meaning (`_SAME_MEANING` below the
        best sentence's similarity, or, without sentence vectors, `intro_cutoff` of its
        score): the question is about the list ("what makes a good hire?" over a list of the
        qualities looked for), so it is quoted whole and in order, not some of its items in
        score order. A question about one item ("which quality is about patience?") finds
        that item closer than the rest, and gets it first. Empty otherwise."""
        if leader.kind not in _LISTED:
            return []
        sentences = by_chunk[leader.hit.chunk.id]
        first = last = leader.position
        while first > 0 and sentences[first - 1].kind in _LISTED:
            first -= 1
        while last + 1 < len(sentences) and sentences[last + 1].kind in _LISTED:
            last += 1

        def alike(other: _Candidate) -> bool:
            if leader.semantic is not None and other.semantic is not None:
                return other.semantic >= leader.semantic - _SAME_MEANING
            return other.score >= leader.score * self.config.intro_cutoff

        others = [c for c in sentences[first : last + 1] if c is not leader and alike(c)]
        return self._whole_list(leader, sentences) if len(others) >= 2 else []

    def _whole_list(self, leader: _Candidate, sentences: Sequence[_Candidate]) -> list[_Candidate]:
        """The list (consecutive list items or table rows) that the best sentence belongs to
        or introduces, whole and in document order, with the sentence that introduces it;
        empty when the best sentence's chunk has no such list there."""
        position = leader.position
        if sentences[position].kind in _LISTED:
            first = position
            while first > 0 and sentences[first - 1].kind in _LISTED:
                first -= 1
        elif position + 1 < len(sentences) and sentences[position + 1].kind in _LISTED:
            first = position + 1
        else:
            return []
        last = first
        while last + 1 < len(sentences) and sentences[last + 1].kind in _LISTED:
            last += 1
        if last == first:
            return []
        items = list(sentences[first : last + 1])[: self.config.list_items]
        intro = sentences[first - 1] if first > 0 else None
        return [intro, *items] if intro is not None else items

    @staticmethod
    def _sides(
        question: str, candidates: Sequence[_Candidate], by_chunk: dict[str, list[_Candidate]]
    ) -> list[_Candidate]:
        """For a question comparing two things the knowledge base names ("the difference
        between Harvest and Guard"), the best sentence holding each side's words (with the
        rest of its list item); empty when the question compares nothing or a side is
        nowhere (the checks then decide)."""
        pair = next((m for m in (p.search(question) for p in _COMPARED) if m), None)
        if pair is None:
            return []
        found: list[_Candidate] = []
        for n, side in enumerate(pair.groups()):
            words = tokenize(side)
            # the side's words, fewer from the far end while no sentence holds them all
            # ("tell me about Harvest vs Guard": "Harvest")
            best = None
            while words and best is None:
                # the side's own words (not a concept's other names: both sides may share one)
                best = next((c for c in candidates if set(words) <= _token_set(c.text)), None)
                words = words[1:] if n == 0 else words[:-1]
            if best is None:
                return []
            item = [
                c
                for c in by_chunk.get(best.hit.chunk.id, [])
                if c is best or (best.kind in _LISTED and best.block >= 0 and c.block == best.block)
            ]
            found.extend(c for c in item if not any(c is f for f in found))
        return found

    def _counted_list(
        self,
        counted: tuple[int, str],
        hits: Sequence[Hit],
        by_chunk: dict[str, list[_Candidate]],
    ) -> tuple[list[_Candidate], str] | None:
        """The first list (in rank order of the chunks) of exactly the count of items asked
        for whose chunk names the things counted (in its title and headings or in the
        sentence before the list), with that sentence, and its chunk's id."""
        count, stem = counted
        for hit in hits:
            sentences = by_chunk.get(hit.chunk.id, [])
            path = _token_set(str(hit.metadata.get("section", "")))
            position = 0
            while position < len(sentences):
                if sentences[position].kind not in _LISTED:
                    position += 1
                    continue
                last = position
                while last + 1 < len(sentences) and sentences[last + 1].kind in _LISTED:
                    last += 1
                items = list(sentences[position : last + 1])
                intro = sentences[position - 1] if position > 0 else None
                named = stem in path or (intro is not None and stem in intro.tokens)
                if named and _item_count(items) == count:
                    listed = items[: self.config.list_items]
                    return ([intro, *listed] if intro is not None else listed), hit.chunk.id
                position = last + 1
        return None

    def _outline(
        self,
        leader: _Candidate,
        result: SearchResult,
        weights: dict[str, float],
        equivalences: tuple[Equivalence, ...],
        named: bool = False,
    ) -> list[_Candidate]:
        """A guide's sections as the answer to a question that asks for a list the guide
        gives as headings ("what are the fields of the framework?": one section per field),
        or, with `named`, to a question that names the group's own heading without asking
        for a list ("what inputs does <service> take from the customer?" over a section headed
        "Inputs from the customer" with one sub-section per item): then the group's
        heading (not the title) must hold a question word that the best sentence and its
        section lack.
        The group is the parent whose sections the top hits hold most of (at least three).
        It is used only when the best sentence's chunk holds no list, no figure is asked for
        (a price, a duration, a count: the caller checks both), the parent's path (title and
        headings) holds the question's topic words, no section heading holds the question's
        other words (the question is about the group, not one item), and the best sentence
        holds under half of them (it does not answer directly); a list question whose words
        are all in the path is about the group when the group's heading names one of them.
        Each item is its heading and the first sentence under it, in document order, cited."""
        hits = result.hits[: self.config.chunks_considered]
        groups: dict[tuple[str, tuple[str, ...]], set[str]] = {}
        for hit in hits:
            path = tuple(str(hit.metadata.get("section", "")).split(" > "))
            if len(path) >= 2:
                groups.setdefault((str(hit.metadata.get("source")), path[:-1]), set()).add(path[-1])
        if not groups:
            return []
        (source, parent), seen = max(groups.items(), key=lambda item: len(item[1]))
        anchor = next(h for h in hits if str(h.metadata.get("source")) == source)
        if len(seen) < 3:
            return []
        if anchor.metadata.get("restricted") and not leader.hit.metadata.get("restricted"):
            return []  # an account document's sections do not answer a general question
        # the group's own heading and the guide's title
        group = widen(_token_set(parent[-1]), equivalences) if len(parent) >= 2 else frozenset()
        title = widen(_token_set(parent[0]), equivalences)
        if named:
            lead_section = widen(
                _token_set(str(leader.hit.metadata.get("section", ""))), equivalences
            )
            if not any(
                t in group and t not in title and t not in leader.tokens | lead_section
                for t in weights
            ):
                return []
        siblings: dict[str, StoredChunk] = {}
        for chunk in result.document(anchor.chunk.id):
            path = tuple(str(chunk.metadata.get("section", "")).split(" > "))
            if len(path) == len(parent) + 1 and path[:-1] == parent:
                siblings.setdefault(path[-1], chunk)
        if len(siblings) < 3 or any(len(h.split()) > _HEADING_WORDS for h in siblings):
            return []
        in_path = widen(_token_set(" > ".join(parent)), equivalences)
        topic = sum(w for t, w in weights.items() if t in in_path)
        asked = {t: w for t, w in weights.items() if t not in in_path}
        headings = widen(_token_set(" ".join(siblings)), equivalences)
        found = sum(w for t, w in asked.items() if t in leader.tokens)
        # "what are the eight letters of our deal review?": every question word is in the
        # path, and the group's own heading (not the title) names what is asked for
        about_group = not named and any(t in group and t not in title for t in weights)
        if (
            not topic
            or (not asked and not about_group)
            or any(t in headings for t in asked)
            or (asked and found >= 0.5 * sum(asked.values()))
        ):
            return []
        by_id = {hit.chunk.id: hit for hit in hits}
        items: list[_Candidate] = []
        for n, (heading, chunk) in enumerate(list(siblings.items())[: self.config.list_items]):
            first = next(iter(_sentences(chunk.text)), "")
            text = f"{heading}: {first}" if first else heading
            hit = by_id.get(chunk.id) or Hit(chunk, 0.0)
            items.append(_Candidate(text, hit, leader.rank, 0.0, _token_set(text), n, "item"))
        return items

    def _spelled_out(
        self, letter: LetterAsked, result: SearchResult, leader: _Candidate, about_account: bool
    ) -> list[_Candidate]:
        """For a question about one letter of an acronym, the items at that letter's places
        in the first run whose first letters spell the acronym: sibling sections of a top
        hit's document (in rank order), or else list items of a top chunk; each cited to its
        chunk. Empty when nothing spells it. An account document (whose sections may spell
        the acronym too, filled in for one deal) answers only a question about an account."""
        hits = [
            hit
            for hit in result.hits[: self.config.chunks_considered]
            if about_account or not hit.metadata.get("restricted")
        ]
        by_id = {hit.chunk.id: hit for hit in hits}
        found: list[tuple[str, StoredChunk]] = []
        sources: set[str] = set()
        for hit in hits:
            source = str(hit.metadata.get("source"))
            if source in sources:
                continue
            sources.add(source)
            found = spelled_sections(letter, result.document(hit.chunk.id), _HEADING_WORDS)
            if found:
                break
        if not found:
            found = spelled_items(letter, [hit.chunk for hit in hits])
        items: list[_Candidate] = []
        for n, (text, chunk) in enumerate(found):
            hit = by_id.get(chunk.id) or Hit(chunk, 0.0)
            items.append(_Candidate(text, hit, leader.rank, 0.0, _token_set(text), n, "item"))
        return items

    @staticmethod
    def _similarities(result: SearchResult, hit: Hit, count: int) -> np.ndarray | None:
        """Cosine similarity of the question to each sentence's contextual vector, when the
        index holds them (and they line up with the sentences)."""
        if result.query_vector is None:
            return None
        vectors = result.sentence_vectors(hit.chunk.id)
        if vectors is None or len(vectors) != count:
            return None
        return np.asarray(vectors @ result.query_vector, dtype=np.float32)


# "What are the stages of the lifecycle?": the things a list question asks for (the first
# plural noun after the list verb) ...
_LISTED_THINGS = re.compile(
    r"\b(?:list|enumerate|name|what are|which are|all)\s+(?:the\s+|our\s+|of\s+the\s+)?"
    r"(?:[a-z-]+\s+){0,2}?([a-z-]{3,}s)\b",
    re.I,
)


@lru_cache(maxsize=1024)
def _things_listed(question: str) -> re.Pattern[str] | None:
    """... and what a sentence that counts them looks like ("five lifecycle stages: land,
    onboard, ..."): a sentence that gives the list in one line."""
    found = _LISTED_THINGS.search(question)
    stems = tokenize(found.group(1)) if found else []
    if not stems:
        return None
    return re.compile(rf"\b{_COUNT}\s+(?:[\w-]+\s+){{0,2}}{re.escape(stems[0])}", re.I)


def _count_bonus(counted: re.Pattern[str] | None, sentence: str) -> float:
    return 0.08 if counted is not None and counted.search(sentence) else 0.0


def _counted(question: str) -> tuple[int, str] | None:
    """(count, token of the things counted) of a list question that gives its size."""
    found = _COUNTED.search(question)
    if found is None:
        return None
    number = found.group(1).lower()
    count = int(number) if number.isdigit() else NUMBER_WORDS.get(number, 0)
    stems = tokenize(found.group(2))
    return (count, stems[0]) if count >= 2 and stems else None


# an item's own label: the words before the colon that opens it ("<Label>: health below
# 70 ...") or its first cell (a table row), of at most this many words
_LABEL = re.compile(r"^\s*([^:|.?!]{1,60}?)\s*[:|]")
_LABEL_WORDS = 4


def _label(text: str) -> frozenset[str]:
    found = _LABEL.match(text)
    if found is None or len(found.group(1).split()) > _LABEL_WORDS:
        return frozenset()
    return _token_set(found.group(1))


def _item_named(
    leader: _Candidate, sentences: Sequence[_Candidate], weights: dict[str, float]
) -> list[_Candidate]:
    """The sentences of the list item (or table row) the best sentence stands in, when the
    question names that item by its own label ("what do we do with <Label> customers?" over
    "<Label>: health below 70 ... Revenue at risk.") and names no other item's label:
    the question is about that item, not the list its introduction gives. Empty otherwise."""
    if leader.kind not in _LISTED or leader.block < 0:
        return []
    first = last = leader.position
    while first > 0 and sentences[first - 1].kind in _LISTED:
        first -= 1
    while last + 1 < len(sentences) and sentences[last + 1].kind in _LISTED:
        last += 1
    labels: dict[int, frozenset[str]] = {}
    for candidate in sentences[first : last + 1]:
        if candidate.block not in labels:  # an item's label opens its first sentence
            labels[candidate.block] = _label(candidate.text)
    own = labels.get(leader.block, frozenset())
    others = frozenset().union(*(v for k, v in labels.items() if k != leader.block))
    if len(labels) < 2 or not any(t in own and t not in others for t in weights):
        return []
    if any(t in others - own for t in weights):
        return []  # another item named too ("<Label> or <Other>?"): not about one item
    return [c for c in sentences[first : last + 1] if c.block == leader.block]


# "What do we do when ...?", "what should I do if ...?", "what happens when ...?": a question
# about the action a situation calls for
_ASKS_ACTION = re.compile(
    r"^\s*(?:what\s+(?:do|should|must|can)\s+(?:we|i|you)\s+do|what\s+happens)\b"
    r".*?\b(?:when|if|once|after)\b",
    re.I,
)
# a condition clause of a sentence: what follows "when" or "if" up to the next one
_CONDITION = re.compile(r"\b(?:when|if)\b(.*?)(?=\b(?:when|if)\b|$)", re.I | re.S)


def _action_for(
    question: str, candidates: Sequence[_Candidate], idf: Callable[[str], float]
) -> int:
    """For a question about the action a situation calls for, when the best sentence is a
    trigger (the question's words stand in one of its "when"/"if" clauses), the place of the
    sentence of the same document, itself no trigger, that names the same condition in the
    document's own words (a word of that clause the question lacks, "critical tickets" for
    "sev1 tickets") and holds most of the clause's and the question's words; 0 otherwise."""
    leader = candidates[0]
    asked = set(tokenize(question))
    clauses = [_token_set(m.group(1)) for m in _CONDITION.finditer(leader.text)]
    clause = max(clauses, key=lambda c: sum(idf(t) for t in c & asked), default=frozenset())
    if not clause & asked:
        return 0
    own = clause - asked  # the document's words for the condition
    source = leader.hit.metadata.get("source")
    best, found = 0.0, 0
    for n, other in enumerate(candidates[1:], 1):
        if other.hit.metadata.get("source") != source or _CONDITION.search(other.text):
            continue
        if not other.tokens & own:
            continue
        held = sum(idf(t) for t in other.tokens & (clause | asked))
        if held > best:
            best, found = held, n
    return found


def _item_count(sentences: Sequence[_Candidate]) -> int:
    """How many list items (or table rows) `sentences` hold: an item may span sentences."""
    return len({c.block for c in sentences if c.kind in _LISTED and c.block >= 0})


def _repeats(candidate: _Candidate, chosen: Sequence[_Candidate]) -> bool:
    """Whether `candidate` says nearly what one of `chosen` says (word overlap above 70%)."""
    a = candidate.tokens
    return any(len(a & c.tokens) / max(len(a | c.tokens), 1) > 0.7 for c in chosen)


def _snippet(text: str, limit: int = 280) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
