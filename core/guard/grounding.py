"""Grounding check: is each answer sentence supported by the passages it cites?

A sentence is supported when its numbers and names appear in a cited passage and most of
its key terms do; an optional embedder adds semantic similarity, which can rescue a
paraphrase but never a number or a name that no cited passage contains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

SENTENCE_RE = re.compile(r"[^.!?\n]+(?:[.!?]+(?:\s*\[\d+\])*|\n|$)")
CITATION_RE = re.compile(r"\[(\d+)\]")
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
NAME_RE = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z]+(?:\s+[A-Z][a-zA-Z]+)*")
WORD_RE = re.compile(r"[A-Za-z][A-Za-z-]{3,}")
STOPWORDS = frozenset(
    ["this", "that", "these", "those", "with", "from", "have", "has", "had", "were", "was", "will", "would", "could", "should", "there", "their", "they", "them", "then", "than", "what", "when", "where", "which", "while", "about", "also", "into", "more", "most", "some", "such", "only", "other", "very", "just", "like", "been", "being", "over", "under", "after", "before", "because", "does", "each", "both", "many", "much", "your", "ours", "mine", "here", "according", "source", "sources", "passage"]
)
KEY_TERM_SHARE = 0.6
SIMILARITY_FLOOR = 0.55


@dataclass(frozen=True)
class SentenceSupport:
    text: str
    start: int
    end: int
    citations: tuple[int, ...]
    supported: bool
    missing: tuple[str, ...]  # numbers, names or terms no cited passage contains
    similarity: float | None = None
    # The alignment: passages that support the sentence on their own, best first (whatever
    # the sentence cites), and the one a per-sentence citation should point to.
    supporting: tuple[int, ...] = ()

    @property
    def aligned(self) -> int | None:
        return self.supporting[0] if self.supporting else None


def split_sentences(answer: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in SENTENCE_RE.finditer(answer) if m.group().strip()]


def check_grounding(answer: str, sources: dict[int, str], embedder: Any = None) -> list[SentenceSupport]:
    """One verdict per sentence. Uncited sentences are checked against all sources."""
    sentences = split_sentences(answer)
    similarity = _Similarity(embedder, sources, [s for _, _, s in sentences]) if embedder else None
    results = []
    for index, (start, end, sentence) in enumerate(sentences):
        cited = tuple(int(n) for n in CITATION_RE.findall(sentence))
        numbers = [n for n in cited if n in sources] or list(sources)
        score = similarity.best(index, numbers) if similarity and numbers else None
        verdict = _check(sentence, start, end, cited, [sources[n] for n in numbers], score)
        results.append(replace(verdict, supporting=_supporting(sentence, index, sources, similarity)))
    return results


def _supporting(
    sentence: str, index: int, sources: dict[int, str], similarity: _Similarity | None
) -> tuple[int, ...]:
    """Each passage that supports the sentence alone, the most similar first (rank order
    breaks ties, and orders them when there is no embedder)."""
    found = []
    for rank, n in enumerate(sources):
        score = similarity.best(index, [n]) if similarity else None
        if _check(sentence, 0, 0, (), [sources[n]], score).supported:
            found.append((-(score if score is not None else 0.0), rank, n))
    return tuple(n for _, _, n in sorted(found))


def _check(sentence: str, start: int, end: int, cited: tuple[int, ...], passages: list[str],
           similarity: float | None) -> SentenceSupport:  # fmt: skip
    body = _body(sentence)
    haystack = " ".join(passages).casefold()
    numbers = [n for n in NUMBER_RE.findall(body) if n.replace(",", "") not in haystack.replace(",", "")]
    names = [n for n in NAME_RE.findall(body) if n.casefold() not in haystack]
    terms = [w for w in {w.casefold() for w in WORD_RE.findall(body)} if w not in STOPWORDS]
    absent = [t for t in terms if t[:5] not in haystack]  # a crude stem: "regulated" ~ "regulat"
    terms_ok = not terms or (len(terms) - len(absent)) / len(terms) >= KEY_TERM_SHARE
    if not terms_ok and similarity is not None:
        terms_ok = similarity >= SIMILARITY_FLOOR
    supported = bool(passages) and not numbers and not names and terms_ok
    missing = tuple(numbers + names + ([] if terms_ok else absent))
    return SentenceSupport(sentence.strip(), start, end, cited, supported, missing, similarity)


def _body(sentence: str) -> str:
    return CITATION_RE.sub("", sentence).strip()


class _Similarity:
    """Every sentence and every passage embedded once, in one call, for the whole answer."""

    def __init__(self, embedder: Any, sources: dict[int, str], sentences: list[str]) -> None:
        self.numbers = list(sources)
        texts = [_body(s) for s in sentences] + [sources[n] for n in self.numbers]
        vectors = np.asarray(embedder.embed(texts), dtype=np.float32) if texts else None
        self.sentences = vectors[: len(sentences)] if vectors is not None else None
        self.passages = vectors[len(sentences) :] if vectors is not None else None

    def best(self, sentence: int, numbers: list[int]) -> float:
        assert self.sentences is not None and self.passages is not None
        rows = [self.numbers.index(n) for n in numbers]
        return float(np.max(self.passages[rows] @ self.sentences[sentence]))
