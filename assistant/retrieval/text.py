"""Tokenisation shared by the BM25 index and the grounded composer.

Latin-script words are lower-cased, stop words dropped and stemmed (Snowball English);
CJK runs, which have no spaces, become overlapping character bigrams.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+|[^\W_]+", re.UNICODE)
WORD = _TOKEN  # a word of a text, as the tokenizer reads it
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | frozenset(
    {
        "us",
        "we",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "what",
        "how",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "does",
        "do",
        "did",
        "is",
        "are",
        "should",
        "would",
        "could",
        "can",
        "tell",
        "give",
        "get",
        "please",
        "about",
        "much",
        "many",
    }
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Index/query tokens of `text` (stemmed words, CJK bigrams, numbers kept)."""
    stemmer = _stemmer()
    tokens: list[str] = []
    for match in _TOKEN.finditer(text.lower()):
        run = match.group()
        if _CJK.match(run):
            tokens.extend(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
        elif keep_stopwords or run not in STOPWORDS:
            tokens.append(stemmer.stemWord(run))
    return tokens
