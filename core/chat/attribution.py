"""Every sentence cited: per-sentence citations from the grounding check's alignment.

A sentence the model marked with [n] keeps its markers, and each marker is checked against
the alignment: a marker whose passage does not support the sentence on its own is reported
as a disagreement (with the passage that does, if any). A sentence without a marker gets
the passage that supports it best, marked inferred. A sentence no passage supports gets no
citation and stays flagged as unsupported; there is no fallback to "the most similar
source", which used to cite a page whatever the model wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.chat.citations import Citation
from core.chat.sources import Source
from core.guard.grounding import SentenceSupport


@dataclass(frozen=True)
class SentenceCitation:
    text: str
    start: int
    end: int
    sources: tuple[int, ...]  # the passages this sentence is cited to (none: unsupported)
    inferred: bool  # from the alignment, not written by the model
    supported: bool  # the grounding check's verdict for the sentence

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Disagreement:
    """The model cited [cited] for a sentence that passage does not support on its own."""

    text: str
    cited: int
    aligned: int | None  # the passage that does support it, or None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Attribution:
    sentences: list[SentenceCitation]
    citations: list[Citation]  # one per cited passage, in order of first use
    disagreements: list[Disagreement]
    cited_share: float  # sentences that carry a citation
    supported_share: float | None  # citations whose passage supports their sentence

    def to_json(self) -> dict[str, Any]:
        return {
            "sentences": [s.to_json() for s in self.sentences],
            "disagreements": [d.to_json() for d in self.disagreements],
            "cited_share": round(self.cited_share, 3),
            "supported_share": None if self.supported_share is None
            else round(self.supported_share, 3),
        }


def attribute(verdicts: Sequence[SentenceSupport], sources: Mapping[int, Source]) -> Attribution:
    sentences: list[SentenceCitation] = []
    disagreements: list[Disagreement] = []
    explicit: dict[int, None] = {}
    inferred: dict[int, None] = {}
    pairs = supported_pairs = 0
    for verdict in verdicts:
        marked = tuple(n for n in dict.fromkeys(verdict.citations) if n in sources)
        if marked:
            for n in marked:
                explicit.setdefault(n)
                pairs += 1
                if n in verdict.supporting:
                    supported_pairs += 1
                else:
                    disagreements.append(Disagreement(verdict.text, n, verdict.aligned))
            cited, is_inferred = marked, False
        elif verdict.supported and verdict.aligned is not None:
            cited, is_inferred = (verdict.aligned,), True
            inferred.setdefault(verdict.aligned)
            pairs += 1
            supported_pairs += 1
        else:
            cited, is_inferred = (), False
        sentences.append(SentenceCitation(verdict.text, verdict.start, verdict.end, cited,
                                          is_inferred, verdict.supported))  # fmt: skip
    citations = [Citation(sources[n]) for n in explicit]
    citations += [Citation(sources[n], inferred=True) for n in inferred if n not in explicit]
    return Attribution(
        sentences=sentences,
        citations=citations,
        disagreements=disagreements,
        cited_share=sum(bool(s.sources) for s in sentences) / len(sentences) if sentences else 0.0,
        supported_share=supported_pairs / pairs if pairs else None,
    )


def attribute_answer(answer: str, sources: Sequence[Source], embedder: Any = None) -> tuple[
    Attribution, list[SentenceSupport]
]:
    """Run the grounding check over the shown passages and attribute each sentence."""
    from core.guard.grounding import check_grounding

    by_number = {s.n: s for s in sources}
    verdicts = check_grounding(answer, {n: s.text for n, s in by_number.items()}, embedder)
    return attribute(verdicts, by_number), verdicts
