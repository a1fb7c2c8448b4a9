"""Train the embedded check-worthiness model shipped in bot/claims/data/.

    python training/train_checkworthy.py --data /work/shared/claimdata --out bot/claims/data/

Reproducible: fixed seeds, deterministic solver (liblinear), hashed features computed by the runtime's
own featuriser (bot.claims.checkworthiness.Featurizer), so the shipped weights see exactly the features
the bot computes. Data use, so no figure is tuned on what it is reported on:

* weights: CT24 English train (+ Arabic and Dutch train tweets, + the 19 CLEF-2019 documents, see flags);
* Platt calibration: 5-fold out-of-fold margins on the training rows;
* decision threshold: the F1-maximising probability on CT24 English dev (smoothed over a small window,
  so one lucky cut-off on 1,032 sentences does not decide it);
* document-context weights: fitted on CLEF-2019 documents with margins from a model that did not see them;
* dev-test and the other dev sets are only ever reported.

scikit-learn is needed here only; the runtime needs numpy alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.claim_detection import (  # noqa: E402  (one reader of the data formats, one definition of the metrics)
    average_precision,
    load_clef_docs,
    load_labelled_tsv,
    prf,
)
from bot.claims.checkworthiness import CheckworthinessModel, Featurizer, apply_context  # noqa: E402

SEED = 0
DEFAULTS: dict = {
    "c": 4.0,
    "bits": 20,
    "block_weights": (0.7, 1.0, 0.7),
    "multilingual_weight": 1.0,
    "clef_weight": 0.0,
}
csv.field_size_limit(10_000_000)


def featurize(featurizer: Featurizer, texts: list[str]) -> sp.csr_matrix:
    rows, cols, vals = featurizer.transform(texts)
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(texts), featurizer.dim))


def fit_linear(
    x: sp.csr_matrix, y: np.ndarray, c: float, sample_weight: np.ndarray | None
) -> LogisticRegression:
    model = LogisticRegression(C=c, solver="liblinear", max_iter=1000, random_state=SEED)
    model.fit(x, y, sample_weight=sample_weight)
    return model


def fit_platt(margins: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    platt = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000).fit(margins[:, None], y)
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def choose_threshold(y: np.ndarray, probs: np.ndarray, window: float = 0.03) -> float:
    """F1-maximising threshold on a 0.01 grid, F1 averaged over +-window to avoid a lucky spike."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    f1 = np.array([prf(y, (probs >= t).astype(np.int64))[2] for t in grid])
    half = round(window / 0.01)
    smooth = np.array([f1[max(0, i - half) : i + half + 1].mean() for i in range(len(grid))])
    return float(grid[int(np.argmax(smooth))])


class Trainer:
    """Everything one training configuration needs, so the LOO bench can reuse it fold by fold."""

    def __init__(
        self, featurizer: Featurizer, c: float, multilingual_weight: float, clef_weight: float
    ) -> None:
        self.featurizer = featurizer
        self.c = c
        self.multilingual_weight = multilingual_weight
        self.clef_weight = clef_weight

    def training_rows(
        self,
        english: tuple[list[str], np.ndarray],
        multilingual: list[tuple[list[str], np.ndarray]],
        clef_docs: list[tuple[list[str], np.ndarray]],
    ) -> tuple[list[str], np.ndarray, np.ndarray]:
        texts, labels, weights = list(english[0]), [english[1]], [np.ones(len(english[0]))]
        if self.multilingual_weight > 0:
            for t, y in multilingual:
                texts += t
                labels.append(y)
                weights.append(np.full(len(t), self.multilingual_weight))
        if self.clef_weight > 0:
            for t, y in clef_docs:
                texts += t
                labels.append(y)
                weights.append(np.full(len(t), self.clef_weight))
        return texts, np.concatenate(labels), np.concatenate(weights)

    def fit_weights(self, x: sp.csr_matrix, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
        model = fit_linear(x, y, self.c, w)
        return model.coef_[0].astype(np.float32), float(model.intercept_[0])

    def build(
        self, x: sp.csr_matrix, y: np.ndarray, w: np.ndarray, calibration_mask: np.ndarray, folds: int = 5
    ) -> CheckworthinessModel:
        """Final weights on all rows; Platt on out-of-fold margins of the rows in calibration_mask."""
        coef, intercept = self.fit_weights(x, y, w)
        oof = np.zeros(len(y))
        skf = StratifiedKFold(folds, shuffle=True, random_state=SEED)
        for train_idx, held_idx in skf.split(np.zeros(len(y)), y):
            c_k, i_k = self.fit_weights(x[train_idx], y[train_idx], w[train_idx])
            oof[held_idx] = x[held_idx] @ c_k + i_k
        platt = fit_platt(oof[calibration_mask], y[calibration_mask])
        return CheckworthinessModel(coef, intercept, self.featurizer, platt, threshold=0.5)


def fit_context(doc_margins: list[np.ndarray], doc_labels: list[np.ndarray]) -> tuple[float, float, float]:
    """Context weights by grid search on mean AP over documents (margins must be out-of-document)."""
    best, best_map = (0.0, 0.0, 0.0), -1.0
    for w_neigh in (0.0, 0.1, 0.2, 0.3):
        for w_dev in (0.0,):
            for w_pos in (-0.2, 0.0, 0.2):
                ctx = (w_neigh, w_dev, w_pos)
                aps = [
                    average_precision(y, apply_context(m, ctx))
                    for m, y in zip(doc_margins, doc_labels, strict=True)
                ]
                if np.mean(aps) > best_map + 1e-9:
                    best, best_map = ctx, float(np.mean(aps))
    return best


def save_model(model: CheckworthinessModel, meta: dict, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = model._weights
    idx = np.flatnonzero(weights).astype(np.uint32)
    meta = {
        **meta,
        "n_bits": model.featurizer.n_bits,
        "block_weights": list(model.featurizer.block_weights),
        "intercept": model._intercept,
        "platt": list(model._platt),
        "threshold": model.threshold,
        "context": list(model._context),
    }
    path = out_dir / "checkworthy.npz"
    # np.savez_compressed stores zip timestamps; write through a fixed-date zip for byte-identical rebuilds.
    import io
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in (
            ("idx", idx),
            ("val", weights[idx].astype(np.float16)),
            ("meta", np.array(json.dumps(meta, sort_keys=True))),
        ):
            buf = io.BytesIO()
            np.save(buf, arr, allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
    (out_dir / "checkworthy.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path("/work/shared/claimdata"))
    parser.add_argument("--out", type=Path, default=ROOT / "bot" / "claims" / "data")
    parser.add_argument("--c", type=float, default=DEFAULTS["c"])
    parser.add_argument("--bits", type=int, default=DEFAULTS["bits"])
    parser.add_argument("--block-weights", type=float, nargs=3, default=DEFAULTS["block_weights"])
    parser.add_argument("--multilingual-weight", type=float, default=DEFAULTS["multilingual_weight"])
    parser.add_argument("--clef-weight", type=float, default=DEFAULTS["clef_weight"])
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    d = args.data
    english = load_labelled_tsv(d / "ct24_english" / "CT24_checkworthy_english_train.tsv")
    dev = load_labelled_tsv(d / "ct24_english" / "CT24_checkworthy_english_dev.tsv")
    dev_test = load_labelled_tsv(d / "ct24_english" / "CT24_checkworthy_english_dev-test.tsv")
    ml = d / "ct24_multilingual"
    multilingual = [
        load_labelled_tsv(ml / f"CT24_checkworthy_{lang}_train.tsv") for lang in ("arabic", "dutch")
    ]
    clef = load_clef_docs(d / "clef2019_task1" / "training")

    featurizer = Featurizer(n_bits=args.bits, block_weights=tuple(args.block_weights))
    trainer = Trainer(featurizer, args.c, args.multilingual_weight, args.clef_weight)
    texts, y, w = trainer.training_rows(english, multilingual, list(clef.values()))
    x = featurize(featurizer, texts)
    calibration_mask = np.zeros(len(y), dtype=bool)
    calibration_mask[: len(english[0])] = True  # calibrate on English debate sentences (the dev domain)
    model = trainer.build(x, y, w, calibration_mask)

    dev_probs = np.array(model.score(dev[0]))
    model.threshold = choose_threshold(dev[1], dev_probs)

    # Document context: margins for each CLEF document from a model that never saw it or its text.
    context = (0.0, 0.0, 0.0)
    if args.clef_weight == 0:
        eng_x = x[: len(english[0])]
        # CT24 train contains some 2016 debates that are also CLEF-2019 documents: leave those rows out.
        doc_texts = {s.strip() for t, _ in clef.values() for s in t}
        keep = np.array([t.strip() not in doc_texts for t in english[0]])
        coef, intercept = trainer.fit_weights(eng_x[keep], english[1][keep], np.ones(int(keep.sum())))
        doc_m = [featurize(featurizer, t) @ coef + intercept for t, _ in clef.values()]
        context = fit_context(doc_m, [lab for _, lab in clef.values()])
    model._context = context

    report = {}
    for name, (t, lab) in {
        "dev": dev,
        "dev_test": dev_test,
        "arabic_dev": load_labelled_tsv(ml / "CT24_checkworthy_arabic_dev.tsv"),
        "dutch_dev": load_labelled_tsv(ml / "CT24_checkworthy_dutch_dev.tsv"),
        "spanish_dev": load_labelled_tsv(ml / "CT24_checkworthy_spanish_dev.tsv"),
    }.items():
        p, r, f = prf(lab, (np.array(model.score(t)) >= model.threshold).astype(np.int64))
        report[name] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "n": len(t)}
    meta = {
        "trained_on": "CT24 English train"
        + (" + CT24 Arabic/Dutch train" if args.multilingual_weight > 0 else "")
        + (" + CLEF-2019 training documents" if args.clef_weight > 0 else ""),
        "threshold_chosen_on": "CT24 English dev",
        "c": args.c,
        "multilingual_weight": args.multilingual_weight,
        "clef_weight": args.clef_weight,
        "metrics_at_threshold": report,
    }
    path = save_model(model, meta, args.out)
    print(
        json.dumps(
            {"threshold": model.threshold, "platt": model._platt, "context": context, **report}, indent=1
        )
    )
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
