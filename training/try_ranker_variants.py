"""Compare variants of the news ranker by the trainer's own every-choice-out-of-fold CV (issue 17).

    python training/try_ranker_variants.py              # every variant, one line each (~1 min per variant)
    python training/try_ranker_variants.py base pairwise

Each variant changes one thing against the shipped ranker (training/train_ranker.py): an extra feature
column, features dropped, or the learning objective. Its figures come from
`train_ranker.choices_out_of_fold` (every page's C, thresholds, probabilities and page kind chosen or
fitted without it), so they compare directly with `leave_one_page_out_every_choice` in ranker.json. A
variant earns a place in bot/claims/ranking.py only if it raises card recall without lowering count fit;
none in this file did by more than noise (bench/README.md, "Ranking pass (issue 17, branch `ranking`)").
Seen pages only (the unseen set is never read).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_ranker as tr

from bot.claims.ranking import FEATURES, content_words

Column = Callable[[tr.TunePage], np.ndarray]
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_DATED = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|"
                    r"january|february|march|april|may|june|july|august|september|october|november|december|"
                    r"(?:19|20)\d\d)\b", re.IGNORECASE)


def _cw_within_page(p: tr.TunePage) -> np.ndarray:
    """The check-worthiness logit standardised within the page (a page-relative score)."""
    cw = p.ranked.features[:, FEATURES.index("cw_logit")]
    eligible = np.array(p.ranked.eligible, dtype=bool)
    if not eligible.any():
        return np.zeros(len(cw))
    return (cw - cw[eligible].mean()) / (cw[eligible].std() + 1e-6)


def _centrality(p: tr.TunePage) -> np.ndarray:
    """How many other sentences share the sentence's content words (what the page keeps returning to)."""
    words = [content_words(t) for t in p.ranked.texts]
    df: dict[str, int] = {}
    for w in words:
        for x in w:
            df[x] = df.get(x, 0) + 1
    return np.array([math.log1p(sum(df[x] - 1 for x in w) / len(w)) if w else 0.0 for w in words])


COLUMNS: dict[str, Column] = {
    "cw_within_page": _cw_within_page,
    "log_length": lambda p: np.array([math.log1p(len(t.split())) for t in p.ranked.texts]),
    "figure_count": lambda p: np.array([min(len(_NUMBER.findall(t)), 4) / 4 for t in p.ranked.texts]),
    "dated": lambda p: np.array([float(bool(_DATED.search(t))) for t in p.ranked.texts]),
    "opens_on_quote": lambda p: np.array([float(t.strip()[:1] in "\"“‘") for t in p.ranked.texts]),
    "centrality": _centrality,
}
WEAK = ("money_or_pct", "names", "duplicate")  # the smallest coefficients in the shipped file


def with_columns(pages: list[tr.TunePage], names: tuple[str, ...], drop: tuple[str, ...] = ()) -> list[np.ndarray]:
    keep = [i for i, f in enumerate(FEATURES) if f not in drop]
    return [np.column_stack([p.ranked.features[:, keep]] + [COLUMNS[n](p)[:, None] for n in names])
            if p.ranked.texts else np.zeros((0, len(keep) + len(names))) for p in pages]


def oof(pages: list[tr.TunePage], x: list[np.ndarray], c: float, objective: str = "pointwise") -> list[np.ndarray]:
    """Leave-one-page-out probabilities (pairwise: a within-page pair model, squashed for the thresholds)."""
    eligible = [np.array(p.ranked.eligible, dtype=bool) for p in pages]
    out = []
    for i in range(len(pages)):
        train = [j for j in range(len(pages)) if j != i]
        xs = np.vstack([x[j][eligible[j]] for j in train])
        ys = np.concatenate([pages[j].labels[eligible[j]] for j in train])
        if objective == "pointwise" or objective == "page_balanced":
            weight = None
            if objective == "page_balanced":  # every page weighs the same, however long
                weight = np.concatenate([np.full(int(eligible[j].sum()), 1.0 / max(int(eligible[j].sum()), 1))
                                         for j in train])
                weight *= len(weight) / weight.sum()
            mean, scale = tr.standardise(xs)
            lr = LogisticRegression(C=c, solver="liblinear", max_iter=1000, random_state=0)
            lr.fit((xs - mean) / scale, ys, sample_weight=weight)
            model = (mean, scale, lr.coef_[0], float(lr.intercept_[0]))
            out.append(tr.predict(model, x[i]) if len(x[i]) else np.zeros(0))
            continue
        # pairwise: every (must-check, other) pair within a page, each page weighing the same
        _, scale = tr.standardise(xs)
        diffs, weights = [], []
        for j in train:
            xj, yj = x[j][eligible[j]] / scale, pages[j].labels[eligible[j]]
            pos, neg = xj[yj == 1], xj[yj == 0]
            if len(pos) and len(neg):
                d = (pos[:, None, :] - neg[None, :, :]).reshape(-1, xj.shape[1])
                diffs.append(d)
                weights.append(np.full(len(d), 1.0 / len(d)))
        d, w = np.vstack(diffs), np.concatenate(weights)
        lr = LogisticRegression(C=c, solver="liblinear", fit_intercept=False, max_iter=2000, random_state=0)
        lr.fit(np.vstack([d, -d]), np.r_[np.ones(len(d)), np.zeros(len(d))], sample_weight=np.r_[w, w] * len(diffs))
        out.append(1.0 / (1.0 + np.exp(-((x[i] / scale) @ lr.coef_[0]))) if len(x[i]) else np.zeros(0))
    return out


VARIANTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "base": ((), (), "pointwise"),
    **{f"+{name}": ((name,), (), "pointwise") for name in COLUMNS},
    "+cw_within_page,dated,figure_count": (("cw_within_page", "dated", "figure_count"), (), "pointwise"),
    "-weak": ((), WEAK, "pointwise"),
    "page_balanced": ((), (), "page_balanced"),
    "pairwise": ((), (), "pairwise"),
}


def main(argv: list[str]) -> int:
    names = argv or list(VARIANTS)
    pages = tr.read_pages()
    _, nothing, _ = tr.page_cv(pages)
    for name in names:
        columns, drop, objective = VARIANTS[name]
        x = with_columns(pages, columns, drop)
        probs_by_c, candidate_by_c = {}, {}
        for c in tr.C_GRID:
            probs_by_c[c] = oof(pages, x, c, objective)
            candidate_by_c[c] = tr.choose_thresholds(pages, probs_by_c[c], nothing)[0]["candidate"]
        f = tr.choices_out_of_fold(pages, probs_by_c, nothing, candidate_by_c)
        print(f"{name:36s} card recall {f['recall_card']:.3f}  count fit {f['count_fit']:.3f}  candidates "
              f"{f['recall_candidates']:.3f}  shown matching gold {f['shown_gold_share']:.3f} of {f['shown']}  "
              f"nothing > 1: {len(f['nothing_over_one'])}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
