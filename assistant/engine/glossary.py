"""The knowledge base's own names for the product's general concepts (`concepts.yaml` holds
the general words, the rules file's `names:` and `qualification` the knowledge base's names):
a question that says "health score" also searches for the knowledge base's "vitality index",
and a sentence that says "vitality index" counts as saying "health score"."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from assistant.data_files import load_yaml_model
from assistant.errors import ConfigurationError
from assistant.retrieval.text import tokenize
from assistant.rules.models import Rules

CONCEPTS = Path(__file__).with_name("concepts.yaml")
QUALIFICATION = "qualification"


class Concepts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    concepts: dict[str, list[str]] = Field(description="concept -> the general words for it")
    abbreviations: dict[str, str] = Field(
        default_factory=dict, description="a general abbreviation -> what it stands for"
    )


@cache
def load_concepts(path: Path = CONCEPTS) -> Concepts:
    return load_yaml_model(path, Concepts, "concepts")


@dataclass(frozen=True)
class Alias:
    """A knowledge base's name for a concept and the general phrases (as stemmed words)."""

    name: str
    name_tokens: frozenset[str]
    says: tuple[frozenset[str], ...]


# (the knowledge base's name's words, the words of the question that name the concept)
Equivalence = tuple[frozenset[str], frozenset[str]]


class Glossary:
    def __init__(self, aliases: list[Alias] | None = None) -> None:
        self.aliases = [a for a in aliases or [] if a.name_tokens]

    @classmethod
    def from_rules(cls, rules: Rules, concepts: Concepts | None = None) -> Glossary:
        """The aliases the rules name, and the general abbreviations both ways ("QBR" and
        "quarterly business review"); ConfigurationError for a concept the product lacks."""
        general = concepts or load_concepts()
        known = general.concepts
        names = [(n.concept, n.name) for n in rules.names]
        if QUALIFICATION in known:
            names.append((QUALIFICATION, rules.qualification.name))
        aliases = []
        for concept, name in names:
            if concept not in known:
                raise ConfigurationError(
                    f"rules names: unknown concept {concept!r} (known: {', '.join(sorted(known))})"
                )
            says = [*known[concept]]
            if concept == QUALIFICATION:  # the other frameworks' names a user may say
                says += rules.qualification.aliases
            phrases = tuple(frozenset(tokenize(s)) for s in says if tokenize(s))
            aliases.append(Alias(name, frozenset(tokenize(name)), phrases))
        for short, full in general.abbreviations.items():
            short_tokens, full_tokens = frozenset(tokenize(short)), frozenset(tokenize(full))
            plural = frozenset(tokenize(f"{short}s"))  # "QBRs": the stemmer keeps the s
            aliases.append(Alias(full, full_tokens, (short_tokens, plural)))
            aliases.append(Alias(short, short_tokens, (full_tokens,)))
        return cls(aliases)

    def equivalences(self, question: str) -> tuple[Equivalence, ...]:
        """For each concept the question says in other words than the knowledge base's: the
        name's words and the question's words for it."""
        return tuple((a.name_tokens, said) for a, said in self._said_otherwise(question))

    def _said_otherwise(self, text: str) -> list[tuple[Alias, frozenset[str]]]:
        """The aliases `text` says in general words (not by the knowledge base's name), each
        with the words it says them in."""
        words = frozenset(tokenize(text))
        found = []
        for alias in self.aliases:
            if alias.name_tokens <= words:
                continue  # the text says the knowledge base's name itself
            said = frozenset().union(*(p for p in alias.says if p <= words))
            if said:
                found.append((alias, said))
        return found

    def expand(self, query: str) -> str:
        """The query with the knowledge base's names of the concepts it says otherwise."""
        extra = [alias.name for alias, _ in self._said_otherwise(query)]
        return " ".join([query, *dict.fromkeys(extra)]) if extra else query


def widen(tokens: frozenset[str], equivalences: tuple[Equivalence, ...]) -> frozenset[str]:
    """`tokens` with the question's words for each concept whose knowledge-base name they hold."""
    for name, said in equivalences:
        if name <= tokens and not said <= tokens:
            tokens = tokens | said
    return tokens
