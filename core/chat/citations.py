"""Citations: [n] markers in an answer resolved to the sources the model was shown.

A marker whose number the model never saw is removed from the text and counted. When
the answer carries no valid marker at all (small models often forget them), the
citation falls back to the shown source that shares the most words with the answer,
or else the best-ranked one, and is flagged `inferred` so a face can show it as such.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.chat.sources import Source

MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
WORD = re.compile(r"[^\W_]{4,}")


@dataclass(frozen=True)
class Citation:
    source: Source
    inferred: bool = False

    @property
    def n(self) -> int:
        return self.source.n

    def to_json(self) -> dict[str, Any]:
        return {**self.source.to_json(), "inferred": self.inferred}


@dataclass(frozen=True)
class ResolvedAnswer:
    text: str  # dangling markers removed
    citations: list[Citation]
    dangling: int


def resolve_citations(
    answer: str, visible: Mapping[int, Source], fallback: Sequence[Source] = ()
) -> ResolvedAnswer:
    cited: dict[int, Citation] = {}
    dangling = 0

    def keep_known(match: re.Match[str]) -> str:
        nonlocal dangling
        numbers = [int(x) for x in re.split(r"\s*[,;]\s*", match.group(1))]
        known = [n for n in numbers if n in visible]
        dangling += len(numbers) - len(known)
        for n in known:
            cited.setdefault(n, Citation(visible[n]))
        return f"[{', '.join(str(n) for n in known)}]" if known else ""

    text = MARKER.sub(keep_known, answer)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)  # "fact [9]." -> "fact."
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    citations = list(cited.values())
    if not citations and fallback:
        citations = [Citation(best_overlap(text, fallback), inferred=True)]
    return ResolvedAnswer(text, citations, dangling)


def best_overlap(answer: str, sources: Sequence[Source]) -> Source:
    """The source sharing the most distinct words with the answer; ties keep rank order."""
    answer_words = {w.lower() for w in WORD.findall(answer)}

    def shared(source: Source) -> int:
        return len(answer_words & {w.lower() for w in WORD.findall(source.text)})

    return max(sources, key=shared)  # max keeps the first of equal scores
