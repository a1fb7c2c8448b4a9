"""Leave-one-document-out MAP on the 19 CLEF-2019 Task 1 training documents (retrains per fold).

    python bench/loo_map.py --data /work/shared/claimdata [--no-context] [--baseline]

The documents are the groups: for each held-out document the model is retrained with the shipped recipe
(train_checkworthy.DEFAULTS) on CT24 English train + dev minus every sentence whose text also occurs in
the held-out document (CT24 contains the 2016 presidential debates), then the document is ranked
(a) sentence by sentence and (b) with the document-context adjustment, whose weights are refitted per
fold on the other 18 documents using margins from models that did not see them. --baseline also ranks
each held-out document with the plain word + char TF-IDF logistic regression trained on the same rows,
so the two are compared under one protocol. Needs scikit-learn (training only).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from train_checkworthy import (  # noqa: E402
    DEFAULTS,
    Config,
    HashedFeatures,
    HashedTrainer,
    average_precision,
    fit_baseline,
    fit_context,
    load_multilingual,
    load_pool,
)

from bench.claim_detection import load_clef_docs  # noqa: E402
from bot.claims.checkworthiness import Featurizer, apply_context  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/claimdata"))
    parser.add_argument("--c", type=float, default=None, help="default: the training script's default")
    parser.add_argument("--no-context", action="store_true", help="skip the nested context fit (faster)")
    parser.add_argument("--baseline", action="store_true", help="also rank with the TF-IDF LR baseline")
    args = parser.parse_args(argv)

    c = args.c if args.c is not None else DEFAULTS["c"]
    config = Config(c, tuple(DEFAULTS["block_weights"]), DEFAULTS["idf"], DEFAULTS["multilingual_weight"])
    d = args.data
    texts, y, _ = load_pool(d)
    docs = load_clef_docs(d / "clef2019_task1" / "training")
    names = list(docs)
    featurizer = Featurizer(n_bits=DEFAULTS["bits"])
    # The pool and the documents featurised together, so one HashedFeatures finishes both per fold.
    doc_start = {}
    all_texts = list(texts)
    for name in names:
        doc_start[name] = len(all_texts)
        all_texts += docs[name][0]
    feats = HashedFeatures(featurizer, all_texts)
    extra = extra_y = None
    if config.multilingual_weight > 0:
        ml_texts, extra_y = load_multilingual(d)
        extra = HashedFeatures(featurizer, ml_texts)
    y_all = np.concatenate([y, np.zeros(len(all_texts) - len(y), dtype=np.int64)])
    trainer = HashedTrainer(config, featurizer, feats, y_all, extra, extra_y)
    pool_norm = [t.strip() for t in texts]
    pool_set = set(pool_norm)

    def rows_without(excluded: set[str]) -> np.ndarray:
        banned = {s.strip() for name in excluded for s in docs[name][0]}
        return np.flatnonzero([t not in banned for t in pool_norm])

    def doc_rows(name: str) -> np.ndarray:
        return np.arange(doc_start[name], doc_start[name] + len(docs[name][0]))

    # Most documents share no sentence with the pool, so "the pool minus the held-out document" is
    # often the whole pool: fit each distinct training set once (same models, much less time).
    fitted: dict[bytes, tuple[np.ndarray, float, np.ndarray | None]] = {}
    base_fitted: dict[bytes, Callable[[list[str]], np.ndarray]] = {}

    def fit_rows(rows: np.ndarray) -> tuple[np.ndarray, float, np.ndarray | None]:
        key = rows.tobytes()
        if key not in fitted:
            fitted[key] = trainer.fit(rows)
        return fitted[key]

    def margins(excluded: set[str], targets: list[str]) -> list[np.ndarray]:
        coef, intercept, idf = fit_rows(rows_without(excluded))
        return [feats.matrix(doc_rows(t), idf, config.block_weights) @ coef + intercept for t in targets]

    t0 = time.perf_counter()
    plain, contextual, base = [], [], []
    for name in names:
        others = [o for o in names if o != name]
        overlapping = [o for o in others if any(s.strip() in pool_set for s in docs[o][0])]
        clean = [o for o in others if o not in overlapping]
        # One model without the held-out document ranks it and every document the pool does not contain.
        m_all = margins({name}, [name, *clean])
        m_doc = m_all[0]
        ap_plain = average_precision(docs[name][1], m_doc)
        context = (0.0, 0.0, 0.0)
        if not args.no_context:
            inner = dict(zip(clean, m_all[1:], strict=True))
            for o in overlapping:  # those need a model that saw neither them nor the held-out document
                inner[o] = margins({name, o}, [o])[0]
            context = fit_context([inner[o] for o in others], [docs[o][1] for o in others])
        ap_ctx = average_precision(docs[name][1], apply_context(m_doc, context))
        plain.append(ap_plain)
        contextual.append(ap_ctx)
        line = f"{name:28s} n={len(docs[name][1]):5d} pos={int(docs[name][1].sum()):3d}  AP {ap_plain:.4f}"
        if not args.no_context:
            line += f"  AP+context {ap_ctx:.4f} {context}"
        if args.baseline:
            rows = rows_without({name})
            key = rows.tobytes()
            if key not in base_fitted:
                base_fitted[key] = fit_baseline([texts[i] for i in rows], y[rows], 1.0)
            ap_base = average_precision(docs[name][1], base_fitted[key](docs[name][0]))
            base.append(ap_base)
            line += f"  baseline AP {ap_base:.4f}"
        print(line, flush=True)
    print(f"LOO MAP (isolated sentences): {np.mean(plain):.4f}")
    if not args.no_context:
        print(f"LOO MAP (with document context): {np.mean(contextual):.4f}")
    if args.baseline:
        print(f"LOO MAP baseline TF-IDF LR (C=1): {np.mean(base):.4f}")
    print(f"({time.perf_counter() - t0:.0f} s; {config})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
