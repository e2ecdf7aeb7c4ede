"""Examples for the fine-tuned injection classifier: every source, split three ways, by kind.

Each example is a text with its label (1 = injection), the kind of text it stands for
("question": what a person types; "chunk": a passage of a document; "email": a passage of
an e-mail) and its family (where it comes from, for the per-family report).

Splits depend only on the text, as in guard_injection_data: the 60% that is not held out
trains; the held-out 40% is halved into "calibration" (thresholds are chosen there, per kind)
and "test" (reported, never looked at to choose anything). Attacks embedded in documents
and e-mails take both carrier and attack from the same split, so no test row shares text
with a training row.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from guard_injection_data import (
    document_chunks,
    is_held_out,
    load_benign_multilingual,
    load_extra,
    load_sets,
    load_synthetic,
    prompt_corpora,
    stdlib_prose,
)

GUARD = Path(__file__).resolve().parents[1] / "resources/guard"
KINDS = ("question", "chunk", "email")
SPLITS = ("train", "calibration", "test")
# S-Labs alone has 13k rows: a sample keeps it from outweighing every other source.
SLABS_TRAIN_ROWS = 5000
STDLIB_PARAGRAPHS = 2500
EMBEDDED_PER_CARRIER = 0.5  # share of carriers that also appear with an attack inside


@dataclass(frozen=True)
class Example:
    text: str
    label: int
    kind: str
    family: str


def split_of(text: str) -> str:
    if not is_held_out(text):
        return "train"
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "calibration" if digest[1] % 2 == 0 else "test"


def load_jsonl(name: str) -> list[dict]:
    path = GUARD / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def question_examples() -> list[Example]:
    """Prompts as a person would type them: the public sets and ours."""
    out = [Example(t, y, "question", name) for name, rows in load_sets().items() for t, y in rows]
    out += [Example(t, y, "question", "ours_extra") for t, y in load_extra()]
    out += [Example(t, 1, "question", "ours_synthetic") for t, y in load_synthetic() if y == 1]
    out += [Example(t, 0, "question", "ours_everyday_multilingual")
            for t, _ in load_benign_multilingual()]  # fmt: skip
    out += [Example(r["text"], 1, "question", f"ours_{r['family']}")
            for r in load_jsonl("injection_attack_prompts.jsonl")]  # fmt: skip
    corpora = prompt_corpora()
    out += [Example(t, 1, "question", "yanis") for t, _ in corpora["yanis"]]
    for name in ("neuralchemy", "slabs"):
        out += corpus_examples(name, corpora)
    return out


def corpus_examples(name: str, corpora: dict[str, list[tuple[str, int]]]) -> list[Example]:
    """A collection's own train/validation/test splits are kept: its test split is ours too.
    Rows are re-labelled by their split, so split_of is not asked of them."""
    rows = corpora[f"{name}_train"] + corpora[f"{name}_validation"]
    if name == "slabs":
        rows = random.Random(0).sample(rows, min(SLABS_TRAIN_ROWS, len(rows)))
    out = [Example(t, y, "question", f"{name}_train") for t, y in rows]
    test = corpora[f"{name}_test"]
    half = len(test) // 2
    out += [Example(t, y, "question", f"{name}_calibration") for t, y in test[:half]]
    out += [Example(t, y, "question", f"{name}_test") for t, y in test[half:]]
    return out


def example_split(example: Example) -> str:
    for split in SPLITS:
        if example.family.endswith(f"_{split}") and example.family.split("_")[0] in (
            "neuralchemy", "slabs"
        ):
            return split
    return split_of(example.text)


def carriers() -> list[Example]:
    """Benign documents and e-mails, which also carry the embedded attacks."""
    out = [Example(t, 0, "chunk", "stdlib_prose") for t in stdlib_prose(STDLIB_PARAGRAPHS)]
    out += [Example(t, 0, "chunk", "pdf") for t in document_chunks(abstracts=0)["pdf"]]
    out += [Example(r["text"], 0, "chunk", f"ours_{r['family']}")
            for r in load_jsonl("injection_benign_documents.jsonl")]  # fmt: skip
    out += [Example(r["text"], 0, "email", f"ours_{r['family']}")
            for r in load_jsonl("injection_benign_emails.jsonl")]  # fmt: skip
    return out


def attack_pool(questions: list[Example]) -> list[str]:
    """What may be planted in a carrier: our embedded attacks and the prompt attacks."""
    pool = [r["text"] for r in load_jsonl("injection_embedded_attacks.jsonl")]
    pool += [e.text for e in questions if e.label == 1 and not e.family.startswith("slabs")]
    return list(dict.fromkeys(pool))


SENTENCE_END = re.compile(r"(?<=[.!?:])\s+|\n+")


def embed_attack(carrier: str, attack: str, rng: random.Random) -> str:
    """`attack` between two sentences (or lines) of `carrier`, anywhere but the very start:
    a planted instruction sits inside the text, as the e-mail's second paragraph or a
    document's fourth sentence."""
    cuts = [m.end() for m in SENTENCE_END.finditer(carrier)]
    at = rng.choice(cuts) if cuts else len(carrier)
    joiner = "\n" if "\n" in carrier[max(0, at - 2) : at + 1] else " "
    return f"{carrier[:at].rstrip()}{joiner}{attack}{joiner}{carrier[at:].lstrip()}".strip()


def embedded_examples(
    carrier_rows: list[Example], pool: list[str], seed: int = 0
) -> list[tuple[str, Example]]:
    """(split, example): each attack planted in a carrier of its own split."""
    rng = random.Random(seed)
    by_split: dict[str, list[str]] = {s: [] for s in SPLITS}
    for attack in pool:
        by_split[split_of(attack)].append(attack)
    out = []
    for carrier in carrier_rows:
        split = split_of(carrier.text)
        if rng.random() >= EMBEDDED_PER_CARRIER or not by_split[split]:
            continue
        text = embed_attack(carrier.text, rng.choice(by_split[split]), rng)
        out.append((split, Example(text, 1, carrier.kind, f"embedded_in_{carrier.family}")))
    return out


def all_examples() -> dict[str, list[Example]]:
    """Split name -> examples. Embedded rows belong to their carrier's split."""
    questions = question_examples()
    carrier_rows = carriers()
    embedded = embedded_examples(carrier_rows, attack_pool(questions))
    out: dict[str, list[Example]] = {s: [] for s in SPLITS}
    seen: set[str] = set()
    for example in questions + carrier_rows:
        if example.text in seen or not example.text.strip():
            continue
        seen.add(example.text)
        out[example_split(example)].append(example)
    for split, example in embedded:
        out[split].append(example)
    return out
