"""PII detection quality: per-entity precision and recall on presidio's generated set.

A prediction counts as a true positive when it overlaps a gold span of the same type;
unmatched predictions are false positives, unmatched gold spans false negatives.
The set is only measured on, never trained on. Its sentences are also halved by hash:
errors on the "dev" half were read while building the name detector's training sentences
(benchmarks/guard_ner_data.py); the "test" half was not looked at, only counted.
Usage: python benchmarks/guard_pii.py [--engine fast|presidio] [--ner-model DIR]
                                      [--half all|dev|test]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DATA = Path(__file__).resolve().parents[2] / "shared/data/guard/pii/presidio_generated_large.json"
GOLD_NAMES = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "CREDIT_CARD": "CREDIT_CARD",
              "IBAN_CODE": "IBAN", "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS",
              "PERSON": "PERSON", "LOCATION": "LOCATION", "ORGANIZATION": "ORGANIZATION",
              "ADDRESS": "ADDRESS"}  # fmt: skip
# Our names for what the gold set calls ADDRESS: a street line, a postcode, a whole address.
PREDICTED_AS_GOLD = {"STREET_ADDRESS": "ADDRESS", "POSTCODE": "ADDRESS"}


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score_sentence(gold: list[tuple[str, int, int]], pred: list[tuple[str, int, int]],
                   tally: dict[str, Counter[str]]) -> None:  # fmt: skip
    for kind in GOLD_NAMES:
        g = [(s, e) for t, s, e in gold if t == kind]
        p = [(s, e) for t, s, e in pred if t == kind]
        tally[kind]["tp"] += sum(any(overlaps(x, y) for y in g) for x in p)
        tally[kind]["fp"] += sum(not any(overlaps(x, y) for y in g) for x in p)
        tally[kind]["fn"] += sum(not any(overlaps(y, x) for x in p) for y in g)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["fast", "presidio"], default="presidio")
    parser.add_argument("--ner-model", default=None, help="local spaCy model dir (model pack)")
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--half", choices=["all", "dev", "test"], default="all")
    args = parser.parse_args()
    rows = json.loads(Path(args.data).read_text(encoding="utf-8"))
    rows = [r for r in rows if args.half in ("all", half_of(r["full_text"]))]
    detect = make_detector(args.engine, args.ner_model)
    tally: dict[str, Counter[str]] = {k: Counter() for k in GOLD_NAMES}
    start = time.perf_counter()
    addresses: Counter[str] = Counter()
    for row in rows:
        gold = [(s["entity_type"], s["start_position"], s["end_position"]) for s in row["spans"]]
        predicted = detect(row["full_text"])
        score_sentence(gold, predicted, tally)
        count_addresses(row["full_text"], gold, predicted, addresses)
    seconds = time.perf_counter() - start
    report = {"engine": args.engine, "ner_model": args.ner_model, "half": args.half,
              "sentences": len(rows),
              "ms_per_sentence": round(1000 * seconds / len(rows), 3), "entities": {}}  # fmt: skip
    if args.engine == "presidio":
        report["ms_per_chunk"] = chunk_cost(detect)
    for kind, c in tally.items():
        precision = c["tp"] / max(1, c["tp"] + c["fp"])
        recall = (c["tp"] and (c["tp"] / max(1, c["tp"] + c["fn"]))) or 0.0
        report["entities"][GOLD_NAMES[kind]] = {
            "precision": round(precision, 4), "recall": round(recall, 4), **c}  # fmt: skip
    report["addresses_found"] = {  # an address labelled in parts counts once
        "n": addresses["n"], "rate": round(addresses["found"] / max(1, addresses["n"]), 4)}
    print(json.dumps(report, indent=2))


def count_addresses(text: str, gold: list[tuple[str, int, int]],
                    pred: list[tuple[str, int, int]], tally: Counter[str]) -> None:  # fmt: skip
    """The set labels many addresses in parts (house number, street, unit, postcode);
    parts with only spaces or punctuation between them are one address, found when any
    predicted address overlaps it."""
    merged: list[tuple[int, int]] = []
    for _, start, end in sorted(g for g in gold if g[0] == "ADDRESS"):
        if merged and not text[merged[-1][1] : start].strip(" \t\n,."):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    found = [(s, e) for t, s, e in pred if t == "ADDRESS"]
    tally["n"] += len(merged)
    tally["found"] += sum(any(overlaps(m, p) for p in found) for m in merged)


def chunk_cost(detect) -> float:  # type: ignore[no-untyped-def]
    """Milliseconds per passage of the size ingest makes (180 words of the shared PDFs)."""
    from guard_injection_data import document_chunks

    chunks = document_chunks(abstracts=0)["pdf"][:200]
    start = time.perf_counter()
    for chunk in chunks:
        detect(chunk)
    return round(1000 * (time.perf_counter() - start) / len(chunks), 2)


def half_of(text: str) -> str:
    return "dev" if hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def make_detector(engine: str, ner_model: str | None):
    if engine == "fast":
        from core.guard.patterns import find_pii_fast

        return lambda text: [as_gold(f) for f in find_pii_fast(text)]
    from core.guard.pii import PiiScanner
    from core.guard.settings import GuardSettings

    scanner = PiiScanner(GuardSettings(ner_model_path=ner_model))
    return lambda text: [as_gold(f) for f in scanner.scan(text)]


def as_gold(finding) -> tuple[str, int, int]:  # type: ignore[no-untyped-def]
    return PREDICTED_AS_GOLD.get(finding.type, finding.type), finding.start, finding.end


if __name__ == "__main__":
    main()
