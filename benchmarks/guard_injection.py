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
    report["families_before_after"] = families_report()
    print(json.dumps(report, indent=2))


def families_report() -> dict[str, object]:
    """TPR (attack families) or FPR (benign ones) on the test split of every family the
    classifier's data has, by kind of text, read as the product reads that kind: before
    (the linear scorers and rules alone) and after (with the fine-tuned classifier), in one
    run. SciFact abstracts (never trained on, CC BY-NC) are a benign chunk family too."""
    from guard_classifier_data import Example, all_examples

    rows = all_examples()["test"]
    rows += [Example(t, 0, "chunk", "scifact") for t in document_chunks()["scifact"]
             if is_held_out(t)]  # fmt: skip
    out: dict[str, object] = {}
    for name, use in (("before", False), ("after", True)):
        detector = InjectionDetector(use_classifier=use)
        flags = read_as_product(detector, rows)
        families: dict[str, list[bool]] = {}
        for example, flag in zip(rows, flags, strict=True):
            key = f"{example.kind}/{'attack' if example.label else 'benign'}/{example.family}"
            families.setdefault(key, []).append(flag)
        out[name] = {k: {"rate": rate(v), "n": len(v)} for k, v in sorted(families.items())}
    out["prefilter_trade"] = prefilter_trade([e for e in rows if e.kind != "question"])
    out["latency"] = classifier_latency()
    return out


class _MemoClassifier:
    """The shared classifier, each (text, kind) scored once; counts what it was asked."""

    def __init__(self) -> None:
        from core.guard.classifier import shared_classifier

        self.inner, self.memo = shared_classifier(), {}
        self.asked: list[str] = []

    def margins(self, texts: list[str], kind: str):  # type: ignore[no-untyped-def]
        import numpy as np

        self.asked += texts
        todo = [t for t in dict.fromkeys(texts) if (t, kind) not in self.memo]
        if todo:
            self.memo.update(zip([(t, kind) for t in todo], self.inner.margins(todo, kind),
                                 strict=True))  # fmt: skip
        return np.array([self.memo[(t, kind)] for t in texts], np.float32)


def prefilter_trade(rows: list) -> dict[str, object]:  # type: ignore[type-arg]
    """Passages (test split) at each ingest prefilter: planted attacks caught, benign
    passages flagged, the share of benign passages the classifier reads (most of a real
    folder is benign) and what that costs per 1,000 passages."""
    memo = _MemoClassifier()
    detector = InjectionDetector(classifier=memo)
    texts, kinds = [e.text for e in rows], [e.kind for e in rows]
    vectors = detector._embed(texts)
    ms_each = classifier_ms_per_passage(memo.inner)
    out: dict[str, object] = {"classifier_ms_per_passage": round(ms_each, 1)}
    benign = {e.text for e in rows if not e.label}
    for prefilter in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5):
        memo.asked = []
        flags = [r.flagged for r in detector.score(texts, vectors, kinds, prefilter)]
        read = len([t for t in memo.asked if t in benign]) / len(benign)
        out[str(prefilter)] = {
            "attacks_caught": rate([f for f, e in zip(flags, rows, strict=True) if e.label]),
            "benign_flagged": rate([f for f, e in zip(flags, rows, strict=True) if not e.label]),
            "benign_read_by_classifier": round(read, 3),
            "classifier_ms_per_1000": round(1000 * read * ms_each),
        }
    return out


def classifier_ms_per_passage(classifier) -> float:  # type: ignore[no-untyped-def]
    """On held-out PDF chunks of ingest's size (180 words): the test split's passages are
    shorter on average than what a real folder yields."""
    sample = [t for t in document_chunks(abstracts=0)["pdf"] if is_held_out(t)][:100]
    classifier.logits(sample[:8])
    start = time.perf_counter()
    classifier.logits(sample)
    return 1000 * (time.perf_counter() - start) / len(sample)


def read_as_product(detector: InjectionDetector, rows: list) -> list[bool]:  # type: ignore[type-arg]
    flags = [False] * len(rows)
    questions = [i for i, e in enumerate(rows) if e.kind == "question"]
    for i, r in zip(questions, detector.score_prompts([rows[i].text for i in questions]),
                    strict=True):  # fmt: skip
        flags[i] = r.flagged
    passages = [i for i, e in enumerate(rows) if e.kind != "question"]
    results = detector.score([rows[i].text for i in passages], None,
                             [rows[i].kind for i in passages])  # fmt: skip
    for i, r in zip(passages, results, strict=True):
        flags[i] = r.flagged
    return flags


def classifier_latency() -> dict[str, float]:
    """A typed question end to end (one text, median of 50), and scan_chunks per 1,000
    held-out PDF chunks given their vectors, with the classifier and without."""
    import statistics

    detector = InjectionDetector()
    question = "What notice period does the lease give the tenant before the rent goes up?"
    detector.score_prompts([question])
    times = []
    for _ in range(50):
        start = time.perf_counter()
        detector.score_prompts([question])
        times.append(time.perf_counter() - start)
    chunks = [t for t in document_chunks(abstracts=300)["pdf"] if is_held_out(t)]
    chunks += document_chunks(abstracts=300)["scifact"]
    vectors = detector._embed(chunks)
    out = {"question_ms_median": round(1000 * statistics.median(times), 2)}
    for name, use in (("without_classifier", False), ("with_classifier", True)):
        detector = InjectionDetector(use_classifier=use)
        start = time.perf_counter()
        detector.score(chunks, vectors)
        out[f"chunks_ms_per_1000_{name}"] = round(1e6 * (time.perf_counter() - start) / len(chunks))
    return out


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
