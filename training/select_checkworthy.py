"""Choose the embedded model's settings by grouped CV, against a plain TF-IDF baseline.

    python training/select_checkworthy.py --data /work/shared/claimdata   # ~10 min on 2 shared cores

Every candidate, the baseline included, is measured the same way (train_checkworthy.grouped_cv): 5
folds of contiguous Sentence_id ranges over CT24 English train + dev, each fold's F1 at the threshold
chosen on the other folds' out-of-fold probabilities. The baseline is scikit-learn's word 1-2-gram +
char_wb 2-5-gram sublinear TF-IDF with logistic regression, its C chosen by the same CV. Dev-test is
not read here. The baseline won (issue 17), so train_checkworthy.py ships it, exported to numpy; the
table goes to bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_checkworthy import (
    DEFAULTS,
    Config,
    CVResult,
    HashedFeatures,
    HashedTrainer,
    average_precision,
    baseline_margins,
    choose_threshold,
    fit_platt,
    grouped_cv,
    load_labelled_tsv,
    load_multilingual,
    load_pool,
    prf,
    sigmoid,
)

from bot.claims.checkworthiness import Featurizer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/claimdata"))
    parser.add_argument("--quick", action="store_true", help="baseline and the chosen setting only")
    parser.add_argument("--first-config", type=int, default=0, help="skip the first N hashed settings")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--baseline-dev-test",
        type=float,
        metavar="C",
        help="only: train the baseline with this C on train + dev, threshold from grouped CV, score dev-test once",
    )
    args = parser.parse_args(argv)
    texts, y, folds = load_pool(args.data)
    print(f"rows {len(y)}  positive {y.mean():.3f}  fold sizes {np.bincount(folds).tolist()}", flush=True)

    def report(name: str, res: CVResult) -> None:
        ap = average_precision(y, res.oof)
        print(
            f"{name:58s} F1 {res.mean:.4f} ± {res.sd:.4f}  folds {[round(v, 3) for v in res.fold_f1]}  "
            f"pooled-OOF AP {ap:.4f}  thresholds {res.fold_thresholds}",
            flush=True,
        )

    t0 = time.perf_counter()
    if args.baseline_dev_test is not None:
        c = args.baseline_dev_test
        res = grouped_cv(baseline_margins(texts, y, c), y, folds)
        a, b = fit_platt(res.oof, y)
        threshold = choose_threshold(y, sigmoid(a * res.oof + b))
        dt_texts, dt_y = load_labelled_tsv(args.data / "ct24_english" / "CT24_checkworthy_english_dev-test.tsv")
        held = np.arange(len(texts), len(texts) + len(dt_texts))
        margins = baseline_margins(texts + dt_texts, np.concatenate([y, dt_y]), c)(np.arange(len(texts)), held)
        p, r, f = prf(dt_y, (sigmoid(a * margins + b) >= threshold).astype(np.int64))
        report(f"baseline C={c}", res)
        print(f"baseline C={c} threshold {threshold}  dev-test once: P {p:.4f} R {r:.4f} F1 {f:.4f}")
        return 0
    for c in () if args.no_baseline else (1.0, 4.0, 16.0) if not args.quick else (1.0,):
        report(f"baseline sklearn word+char TF-IDF LR C={c}", grouped_cv(baseline_margins(texts, y, c), y, folds))
    featurizer = Featurizer(n_bits=20)
    english = HashedFeatures(featurizer, texts)
    ml_texts, ml_y = load_multilingual(args.data)
    extra = HashedFeatures(featurizer, ml_texts)
    configs = [
        Config(4.0, (0.7, 1.0, 0.7), False, 1.0),  # the previously shipped recipe
        Config(4.0, (0.7, 1.0, 0.7), False, 0.0),
        Config(4.0, (1.0, 1.0, 0.0), True),  # hashed TF-IDF, no cues: the baseline in numpy
        Config(2.0, (1.0, 1.0, 0.5), True),
        Config(1.0, (1.0, 1.0, 0.0), True),
        Config(1.0, (1.0, 1.0, 0.5), True),
        Config(1.0, (1.0, 1.0, 1.0), True),
        Config(4.0, (1.0, 1.0, 0.0), True, 1.0),  # the chosen setting + Arabic/Dutch tweets
    ]
    if args.quick:
        configs = [Config(DEFAULTS["c"], tuple(DEFAULTS["block_weights"]), DEFAULTS["idf"])]
    configs = configs[args.first_config :]
    for cfg in configs:
        trainer = HashedTrainer(cfg, featurizer, english, y, extra, ml_y)
        report(f"hashed {cfg}", grouped_cv(trainer.fit_margins, y, folds))
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
