"""The shipped check-worthiness model: loads, calibrated range, sensible on obvious cases, deterministic.

These tests need only the shipped model file (bot/claims/data/checkworthy.npz), never the training data.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.claims.checkworthiness import DEFAULT_MODEL_PATH, CheckworthinessModel, default_model

CLAIM = "Unemployment fell to 3.5 percent in 2019, the lowest rate in 50 years."
CHATTER = "Thank you all for coming tonight."
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def model() -> CheckworthinessModel:
    return CheckworthinessModel.load()


def test_shipped_model_loads_fast_and_small() -> None:
    assert DEFAULT_MODEL_PATH.exists()
    assert DEFAULT_MODEL_PATH.stat().st_size <= 25 * 1024 * 1024
    t0 = time.perf_counter()
    loaded = CheckworthinessModel.load(None)
    assert time.perf_counter() - t0 < 1.0
    assert 0.0 < loaded.threshold < 1.0


def test_default_model_is_a_singleton() -> None:
    assert default_model() is default_model()


def test_scores_are_probabilities(model: CheckworthinessModel) -> None:
    sentences = [CLAIM, CHATTER, "", "   ", "?", "123", "x" * 5000, "Ünïcödé — ✓ 🙂", "Hello\x01world"]
    scores = model.score(sentences)
    assert len(scores) == len(sentences)
    assert all(isinstance(s, float) and 0.0 <= s <= 1.0 for s in scores)
    assert model.score([]) == []
    assert model.score_document([]) == []


def test_obvious_cases_fall_on_the_right_side_of_the_threshold(model: CheckworthinessModel) -> None:
    claim, chatter = model.score([CLAIM, CHATTER])
    assert claim > model.threshold > chatter


def test_score_document_returns_one_score_per_sentence(model: CheckworthinessModel) -> None:
    doc = [
        "Good evening.",
        CLAIM,
        "The mayor said the city spent $4.2 million on the bridge last year.",
        CHATTER,
    ]
    scores = model.score_document(doc)
    assert len(scores) == len(doc)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[1] > model.threshold > scores[3]
    assert len(model.score_document([CLAIM])) == 1


@pytest.mark.parametrize(
    ("with_facts", "without"),
    [
        (
            "Volgens het CBS steeg de werkloosheid in 2023 naar 4,2 procent, zei de minister.",
            "Wat een mooie dag vandaag, iedereen bedankt.",
        ),
        (
            "Secondo l'Istat, nel 2022 la disoccupazione è scesa al 7,8 per cento, ha detto il ministro.",
            "Che bella giornata oggi, grazie a tutti.",
        ),
    ],
)
def test_untrained_languages_still_respond_to_numbers_and_attribution(
    model: CheckworthinessModel, with_facts: str, without: str
) -> None:
    high, low = model.score([with_facts, without])
    assert high > low


def test_scores_are_deterministic_and_batch_independent(model: CheckworthinessModel) -> None:
    batch = [CLAIM, CHATTER, "The budget deficit doubled under the last administration."]
    first = model.score(batch)
    assert model.score(batch) == first
    assert [model.score([s])[0] for s in batch] == pytest.approx(first, abs=1e-12)
    assert CheckworthinessModel.load().score(batch) == first


def test_scores_are_identical_in_a_fresh_process(model: CheckworthinessModel) -> None:
    """Hashing must not depend on Python's per-process hash seed."""
    code = (
        "from bot.claims.checkworthiness import CheckworthinessModel as M; "
        f"print(repr(M.load().score([{CLAIM!r}])[0]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    ).stdout.strip()
    assert float(out) == model.score([CLAIM])[0]


def test_concurrent_scoring_is_thread_safe(model: CheckworthinessModel) -> None:
    batch = [CLAIM, CHATTER] * 50
    expected = model.score(batch)
    results: list[list[float]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                results.append(model.score(batch))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == expected for r in results)


def test_dev_test_f1_when_data_is_present(model: CheckworthinessModel) -> None:
    path = ROOT.parent / "shared" / "claimdata" / "ct24_english" / "CT24_checkworthy_english_dev.tsv"
    if not path.exists():
        pytest.skip("claimdata not present")
    sys.path.insert(0, str(ROOT))
    from bench.claim_detection import load_labelled_tsv, prf

    texts, labels = load_labelled_tsv(path)
    scores = model.score(texts)
    _, _, f1 = prf(labels, (__import__("numpy").asarray(scores) >= model.threshold).astype(int))
    assert f1 > 0.85
