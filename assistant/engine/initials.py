"""Questions about one letter of an acronym ("what does the P in ABCD stand for?", "the
second D of ABDD", "the Ds in ABDD", "what does A stand for in ABCD?"), and where a list
spells an acronym out: a run of headings or list items whose first letters are its letters.
The composer answers such a question with the items at the letter's places: sibling
sections (one parent, document order), each its heading and the first sentence under it,
or else the list items (or table rows) of one chunk, each led by its letter ("P stands for
Paper process: ...")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.engine.number_words import ORDINAL_WORDS
from assistant.retrieval.lexical import StoredChunk
from ingest.sentences import sentence_blocks, sentence_kinds, split_sentences

_LISTED = ("item", "row")  # the sentence kinds of a list item and a table row
_ORDINAL = rf"(?:\d{{1,2}}(?:st|nd|rd|th)|last|{'|'.join(ORDINAL_WORDS)})"
# the letter and the acronym are capitals (as asked); the words around them may be in any case
_LETTER = rf"(?P<said>(?:\b(?P<ordinal>(?i:{_ORDINAL}))\s+)?\b(?P<letter>[A-Z])(?:['’]?s)?)"
_ACRONYM = r"\s+(?i:in|of)\s+(?:(?i:the)\s+)?(?P<acronym>[A-Z]{3,})\b"
_ASKED = (
    # "what's the P in ABCD?", "the second D of ABDD", "the Ds in ABDD", "what is P in ABCD"
    re.compile(rf"{_LETTER}{_ACRONYM}"),
    # "what does A stand for in ABCD?", "what does the second D mean in ABDD?"
    re.compile(rf"{_LETTER}\s+(?i:stands?\s+for|means?){_ACRONYM}"),
)


@dataclass(frozen=True)
class LetterAsked:
    acronym: str  # "ABDD"
    letter: str  # "D"
    ordinal: int | None = None  # "the second D": 2, "the last D": -1; None: every D

    def places(self) -> list[int]:
        """The places (from 0) in the acronym of the letter asked about: every place it
        holds, or with an ordinal the one it names (none when there is no such one)."""
        held = [n for n, letter in enumerate(self.acronym) if letter == self.letter]
        if self.ordinal is None:
            return held
        if self.ordinal == -1:
            return held[-1:]
        return held[self.ordinal - 1 : self.ordinal] if self.ordinal >= 1 else []


def _asking(question: str) -> re.Match[str] | None:
    return next((m for m in (p.search(question) for p in _ASKED) if m), None)


@lru_cache(maxsize=1024)
def letter_asked(question: str) -> LetterAsked | None:
    """The letter of an acronym that `question` asks about, or None when it asks about no
    letter or about one the acronym does not hold."""
    found = _asking(question)
    if found is None:
        return None
    ordinal = found.group("ordinal")
    asked = LetterAsked(
        found.group("acronym"), found.group("letter"), _ordinal(ordinal) if ordinal else None
    )
    return asked if asked.places() else None


def without_letter(question: str) -> str:
    """`question` without the letter it asks about (and its ordinal), to search with: a
    lone letter matches any word it is ("E": "e-mail"), not the item it stands for."""
    found = _asking(question) if letter_asked(question) else None
    if found is None:
        return question
    return f"{question[: found.start('said')]}{question[found.end('said') :]}"


def _ordinal(word: str) -> int:
    word = word.lower()
    if word == "last":
        return -1
    return int(word[:-2]) if word[:-2].isdigit() else ORDINAL_WORDS.get(word, 0)


def _spelling(words: Sequence[str], acronym: str) -> int | None:
    """Where in `words` (headings, list items) a run of consecutive ones begins whose first
    letters spell `acronym` (case aside), or None."""
    initials = "".join(next((ch for ch in word if ch.isalnum()), " ") for word in words)
    start = initials.upper().find(acronym.upper())
    return None if start < 0 else start


def _names(acronym: str, texts: Sequence[str]) -> bool:
    """Whether one of `texts` names `acronym` as a word (case aside)."""
    word = re.compile(rf"\b{re.escape(acronym)}\b", re.I)
    return any(word.search(text) for text in texts)


_ORDINAL_NAMES = {n: word for word, n in ORDINAL_WORDS.items()}


def _stands_for(asked: LetterAsked, place: int) -> str:
    """How the item at `place` is introduced: "P stands for", or for a letter the acronym
    holds more than once, "The second D stands for"."""
    held = [n for n, letter in enumerate(asked.acronym) if letter == asked.letter]
    if len(held) == 1:
        return f"{asked.letter} stands for"
    nth = held.index(place) + 1
    return f"The {_ORDINAL_NAMES.get(nth, f'number {nth}')} {asked.letter} stands for"


Spelled = list[tuple[str, StoredChunk]]  # each item's text, led by its letter, and its chunk


def spelled_sections(letter: LetterAsked, chunks: Sequence[StoredChunk], words: int) -> Spelled:
    """The sections of one document (its `chunks`, in order) at the letter's places in a
    run of sibling headings (of at most `words` words) that spells the acronym; empty when
    none does or the document does not name the acronym."""
    groups: dict[tuple[str, ...], dict[str, StoredChunk]] = {}
    for chunk in chunks:
        path = tuple(str(chunk.metadata.get("section", "")).split(" > "))
        if len(path) >= 2:
            groups.setdefault(path[:-1], {}).setdefault(path[-1], chunk)
    texts = [f"{c.metadata.get('section', '')}\n{c.text}" for c in chunks]
    if not groups or not _names(letter.acronym, texts):
        return []
    for siblings in groups.values():
        headings = list(siblings)
        start = _spelling(headings, letter.acronym)
        run = headings[start : start + len(letter.acronym)] if start is not None else []
        if not run or any(len(heading.split()) > words for heading in run):
            continue
        found = []
        for place in letter.places():
            chunk = siblings[run[place]]
            first = next(iter(split_sentences(chunk.text)), "")
            item = f"{run[place]}: {first}" if first else run[place]
            found.append((f"{_stands_for(letter, place)} {item}", chunk))
        return found
    return []


def spelled_items(letter: LetterAsked, chunks: Sequence[StoredChunk]) -> Spelled:
    """The list items (or table rows) at the letter's places in the first run of consecutive
    items, in the first of `chunks` that names the acronym, whose first letters spell it."""
    for chunk in chunks:
        if not _names(letter.acronym, [f"{chunk.metadata.get('section', '')}\n{chunk.text}"]):
            continue
        sentences = split_sentences(chunk.text)
        kinds, blocks = sentence_kinds(chunk.text), sentence_blocks(chunk.text)
        if not len(kinds) == len(blocks) == len(sentences):
            continue
        # each run of consecutive items, as the first sentence of each item
        runs: list[list[str]] = [[]]
        for position, sentence in enumerate(sentences):
            if kinds[position] not in _LISTED:
                runs.append([])
            elif not runs[-1] or blocks[position] != blocks[position - 1]:
                runs[-1].append(sentence)
        for run in runs:
            start = _spelling(run, letter.acronym)
            if start is not None:
                return [
                    (f"{_stands_for(letter, place)} {run[start + place]}", chunk)
                    for place in letter.places()
                ]
    return []
