"""Injection detection: TPR on deepset attacks, FPR on deepset benign and NotInject.

Prompts are scored as a user's question is (`score_prompts`: the multilingual prompt scorer
for prompt-length texts), document chunks as ingest scores them (`score`).

Reports the held-out part (never trained on) and, for reference, the full sets. Also
reports rules-only numbers, which need no model, the test splits of two other public
collections and the held-out part of a multilingual attack list (the broad scorer trains on
their other splits; nothing was tuned on these), and each scorer alone.
Usage: python benchmarks/guard_injection.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_injection_data import (
    document_chunks,
    indirect_attacks,
    is_held_out,
    load_benign_multilingual,
    load_sets,
    prompt_corpora,
)

from core.guard import scan_chunks
from core.guard.injection import InjectionDetector, rule_hits
from core.guard.settings import GuardSettings


def rate(flags: list[bool]) -> float:
    return round(sum(flags) / max(1, len(flags)), 4)


def main() -> None:
    detector = InjectionDetector()
    sets = load_sets()
    report: dict[str, object] = {"threshold": detector.threshold}
    start = time.perf_counter()
    flagged = {
        n: [r.flagged for r in detector.score_prompts([t for t, _ in rows])]
        for n, rows in sets.items()
    }
    seconds = time.perf_counter() - start
    names = {"deepset_attacks": "tpr", "deepset_benign": "fpr", "notinject": "fpr"}
    for part in ("held_out", "all"):
        numbers = {}
        for name, rows in sets.items():
            keep = [f for (t, _), f in zip(rows, flagged[name], strict=True)
                    if part == "all" or is_held_out(t)]  # fmt: skip
            numbers[f"{name}_{names[name]}"] = rate(keep)
            numbers[f"{name}_n"] = len(keep)
        report[part] = numbers
    report["rules_only"] = {  # strong rules alone (weight >= 0.9), no model
        part: {f"{n}_{names[n]}": rate([any(w >= 0.9 for _, w in rule_hits(t)) for t, _ in rows
                                       if part == "all" or is_held_out(t)])
               for n, rows in sets.items()}
        for part in ("held_out", "all")
    }  # fmt: skip
    total = sum(len(r) for r in sets.values())
    report["ms_per_text_including_embedding"] = round(1000 * seconds / total, 3)
    everyday = [t for t, _ in load_benign_multilingual() if is_held_out(t)]
    report["everyday_multilingual_held_out"] = {  # our own de/fr/es/it/nl/pt requests
        "n": len(everyday),
        "fpr": rate([r.flagged for r in detector.score_prompts(everyday)]),
        "fpr_read_as_chunks": rate([r.flagged for r in detector.score(everyday)]),
    }
    report["other_collections"] = other_collections_report(detector)
    report["documents"] = documents_report(detector, sets)
    print(json.dumps(report, indent=2))


def other_collections_report(detector: InjectionDetector) -> dict[str, object]:
    """All scorers together and each alone, on sets whose test part no scorer trained on.
    "chunk_scorers" reads the prompts as ingest would read a chunk (MiniLM scorers only)."""
    corpora = prompt_corpora()
    cases = {"yanis_heldout_tpr": [t for t, _ in corpora["yanis"] if is_held_out(t)]}
    for name in ("neuralchemy", "slabs"):
        test = corpora[f"{name}_test"]
        cases[f"{name}_test_tpr"] = [t for t, y in test if y == 1]
        cases[f"{name}_test_fpr"] = [t for t, y in test if y == 0]
    report: dict[str, object] = {
        "all": {c: rate([r.flagged for r in detector.score_prompts(ts)]) for c, ts in cases.items()},
        "chunk_scorers": {c: rate([r.flagged for r in detector.score(ts)]) for c, ts in cases.items()},
    }  # fmt: skip
    minilm, multilingual = dict(detector.scorers), dict(detector.multilingual_scorers)
    for name in minilm:  # each scorer alone; the multilingual ones leave long texts to MiniLM's
        detector.scorers, detector.multilingual_scorers = {name: minilm[name]}, {}
        report[f"minilm_{name}"] = {c: rate([r.flagged for r in detector.score(ts)])
                                    for c, ts in cases.items()}  # fmt: skip
        detector.multilingual_scorers = {name: multilingual[name]} if name in multilingual else {}
        report[f"multilingual_{name}"] = {c: rate([r.flagged for r in detector.score_prompts(ts)])
                                          for c, ts in cases.items()}  # fmt: skip
    detector.scorers, detector.multilingual_scorers = minilm, multilingual
    return report


def documents_report(detector: InjectionDetector, sets: dict) -> dict[str, object]:
    """Long texts as ingest sees them: false positives on benign document chunks, held-out
    deepset attacks hidden inside held-out PDF chunks, and scan_chunks time per 1,000 chunks
    given the embeddings ingest already has (grey-zone windows are embedded inside)."""
    docs = document_chunks()
    held_pdf = [t for t in docs["pdf"] if is_held_out(t)]
    docs["pdf"] = held_pdf  # the broad scorer trains on the other PDF chunks
    attacks = [t for t, _ in sets["deepset_attacks"] if is_held_out(t)]
    indirect = indirect_attacks(attacks, held_pdf)
    report: dict[str, object] = {f"{n}_fpr": rate([r.flagged for r in detector.score(ts)])
                                 for n, ts in docs.items()}  # fmt: skip
    report.update({f"{n}_n": len(ts) for n, ts in docs.items()})
    report.update({f"{n}_fpr_read_as_prompts": rate([r.flagged for r in detector.score_prompts(ts)])
                   for n, ts in docs.items()})  # fmt: skip
    report["indirect_tpr"] = rate([r.flagged for r in detector.score(indirect)])
    report["indirect_rules_only_tpr"] = rate(
        [any(w >= 0.9 for _, w in rule_hits(t)) for t in indirect]
    )
    chunks = docs["scifact"] + docs["pdf"]
    vectors = detector._embed(chunks)
    start = time.perf_counter()
    scan_chunks(chunks, vectors, GuardSettings())
    ms = 1000 * (time.perf_counter() - start)
    report["ingest_scan_chunks_ms_per_1000"] = round(1000 * ms / len(chunks))
    return report


if __name__ == "__main__":
    main()
