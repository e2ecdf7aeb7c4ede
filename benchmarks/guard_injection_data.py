"""Injection data: the public sets, split by a fixed hash into training and held-out parts.

The split depends only on the text, so the training script and the benchmark agree on it
without storing any list. About 40% of every set is held out and never trained on.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared/data/guard/injection"
EXTRA = Path(__file__).resolve().parents[1] / "resources/guard/injection_extra.jsonl"
HELD_OUT_FRACTION = 0.4


def is_held_out(text: str) -> bool:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return digest[0] < 256 * HELD_OUT_FRACTION


def load_sets(data: Path = DATA) -> dict[str, list[tuple[str, int]]]:
    """Set name -> [(text, label)], label 1 = injection."""
    import yaml

    sets: dict[str, list[tuple[str, int]]] = {}
    for name, label in (("deepset_attacks", 1), ("deepset_benign", 0)):
        rows = yaml.safe_load((data / f"opensource_{name}.yaml").read_text(encoding="utf-8"))
        sets[name] = [(r["content"], label) for r in rows]
    sets["notinject"] = [
        (r["prompt"], 0)
        for part in ("one", "two", "three")
        for r in json.loads((data / f"NotInject_{part}.json").read_text(encoding="utf-8"))
    ]
    return sets


def load_extra() -> list[tuple[str, int]]:
    lines = EXTRA.read_text(encoding="utf-8").splitlines()
    return [(row["text"], int(row["label"])) for row in map(json.loads, lines) if row]
