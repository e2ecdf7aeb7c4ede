"""Train the injection scorers: logistic regressions on sentence embeddings joined with hashed
character n-grams. The MiniLM pair goes to resources/guard/injection_lr.npz.

"prompt" trains on the non-held-out part of deepset (Apache-2.0) and NotInject (MIT) plus our
own examples (resources/guard/injection_extra.jsonl); its bias is moved so that 0.5 is the
97th percentile of out-of-fold benign scores (5-fold CV on the training part only). Our
template attacks (resources/guard/injection_synthetic.jsonl, label 1 only) count 0.3 each.

"broad" trains on all of that plus the training and validation splits of two larger licensed
prompt collections and the non-held-out part of a multilingual attack list (see
guard_injection_data.prompt_corpora), and on benign prose: standard-library docstrings and
the non-held-out chunks of the public test PDFs. Trained alone at a 3% operating point it
flagged 24% of NotInject and 32% of PDF chunks: those collections' benign prompts are short
chat questions, so it learned "long or formal = attack". Hence the strict calibration: its 0.5
is the largest, over every benign group of at least 30 rows, of that group's 99.7th
percentile of out-of-fold scores. The detector takes the larger of the two logits.

"multilingual" is the same two scorers read through multilingual-e5-small
(core.guard.multilingual) instead of MiniLM, each with our everyday requests in six languages
added (resources/guard/injection_benign_multilingual.jsonl); they replace the MiniLM scorers
for prompt-length texts a user types. The prompt scorer's 0.5 is the largest per-group 96th
percentile of out-of-fold benign scores (see MULTILINGUAL_BENIGN_QUANTILE). They go to their
own file (injection_e5_lr.npz), so chunk flags stored at ingest stay current.

Usage: python benchmarks/guard_train_injection.py [prompt broad multilingual]
(default: all; "prompt" and "broad" train together. Each encoder reads ~25k texts for its
broad scorer: ~15 minutes on two cores for MiniLM, ~20 for multilingual-e5-small.)
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
    load_benign_multilingual,
    load_extra,
    load_sets,
    load_synthetic,
    prompt_corpora,
    stdlib_prose,
)

from core.guard import multilingual
from core.guard.injection import (
    CHAR_FEATURES,
    MULTILINGUAL_WEIGHTS_PATH,
    SCORER_MODEL_ID,
    SCORER_PREFIXES,
    WEIGHTS_PATH,
    char_ngram_features,
)

C = 4.0
PROMPT_BENIGN_QUANTILE = 0.97
# 4% on each benign group for the multilingual prompt scorer alone leaves ~1% for the rules and
# the broad scorer within a 5% budget. Its C: 5-fold CV on the training part (deepset attacks
# caught at that operating point, 3 shuffles) put 4 and 16 level (0.896) above 1 (0.852) and
# 64 (0.875); 16 also serves the broad scorer on these vectors.
MULTILINGUAL_BENIGN_QUANTILE = 0.96
MULTILINGUAL_C = 16.0
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


def with_everyday_requests(data: TrainingSet) -> TrainingSet:
    """`data` plus our everyday requests in six languages: deepset's attacks are a third
    German and its German benign prompts are news questions, so without them a German "please
    summarise the lease" read as an attack."""
    data.add([r for r in load_benign_multilingual() if not is_held_out(r[0])], "multilingual")
    return data


def broad_set() -> TrainingSet:
    data = prompt_set()
    corpora = prompt_corpora()
    for name in ("neuralchemy", "slabs"):
        data.add(corpora[f"{name}_train"] + corpora[f"{name}_validation"], name)
    data.add([r for r in corpora["yanis"] if not is_held_out(r[0])], "yanis")
    data.add([(t, 0) for t in stdlib_prose()], "prose")
    data.add([(t, 0) for t in document_chunks()["pdf"] if not is_held_out(t)], "pdf")
    return data


def fit(
    data: TrainingSet,
    embed: Callable[[list[str]], np.ndarray],
    quantile: float,
    per_group: bool,
    c: float = C,
) -> dict[str, object]:
    """Coefficients with the bias moved so that p == 0.5 sits at the calibrated threshold."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    embeddings = embed(data.texts)
    x = hstack([csr_matrix(embeddings), char_ngram_features(data.texts)]).tocsr()
    y, weights, groups = np.array(data.labels), np.array(data.weights), np.array(data.groups)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
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


def main(names: list[str]) -> None:
    from core.index.embedder import SentenceTransformerEmbedder

    report: dict[str, object] = {}
    if "prompt" in names or "broad" in names:
        embed = SentenceTransformerEmbedder(SCORER_MODEL_ID).embed
        fitted = {
            "prompt": fit(prompt_set(), embed, PROMPT_BENIGN_QUANTILE, per_group=False),
            "broad": fit(broad_set(), embed, BROAD_BENIGN_QUANTILE, per_group=True),
        }
        save(WEIGHTS_PATH, SCORER_MODEL_ID, fitted)
        report.update(fitted)
    if "multilingual" in names:
        fitted = fit_multilingual(multilingual.MultilingualEncoder().embed)
        save(MULTILINGUAL_WEIGHTS_PATH, multilingual.MODEL_ID, fitted)
        report.update({f"multilingual_{name}": stats for name, stats in fitted.items()})
    print(json.dumps(report, indent=2))


def fit_multilingual(embed: Callable[[list[str]], np.ndarray]) -> dict[str, dict[str, object]]:
    """The same two scorers on multilingual-e5-small vectors, each set with our everyday
    requests added."""
    prompt, broad = with_everyday_requests(prompt_set()), with_everyday_requests(broad_set())
    quantile, c = MULTILINGUAL_BENIGN_QUANTILE, MULTILINGUAL_C
    return {
        "prompt": fit(prompt, embed, quantile, per_group=True, c=c),
        "broad": fit(broad, embed, BROAD_BENIGN_QUANTILE, per_group=True, c=c),
    }


def save(path: Path, model_id: str, fitted: dict[str, dict[str, object]]) -> None:
    """Coefficients only (no text); `fitted` keeps the statistics for the report."""
    arrays = {f"{SCORER_PREFIXES[name]}{key}": fitted[name].pop(key)
              for name in fitted for key in ("coef", "char_coef", "bias")}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, model_id=np.array(model_id), **arrays)


if __name__ == "__main__":
    main(sys.argv[1:] or ["prompt", "broad", "multilingual"])
