"""The embedded check-worthiness model: offline, CPU-only, numpy-only at runtime.

A sentence is check-worthy when it makes a factual claim a fact-checker would want to verify
(CLEF CheckThat! definition). The model is a linear classifier over hashed features, trained by
training/train_checkworthy.py on the CheckThat! data (see bench/README.md for provenance and figures):

* word unigrams and bigrams (lower-cased, numbers collapsed to their shape),
* character n-grams of the lower-cased text (digits folded to 0), computed with a vectorised
  polynomial hash over UTF-8 bytes, so they work for any script without a vocabulary,
* optionally, language-neutral cues: numbers, percentages, money, years, dates, quotes, attribution
  verbs ("said", "according to", "volgens", "según", "قال", ...), comparatives, capitalised spans, tense,
  first person, opinion ("I think", "should") and future ("will") markers, questions, length.

With an IDF vector in the model file the word and character blocks are hashed sublinear TF-IDF: the
numpy counterpart of a plain word + char TF-IDF logistic regression, which is what grouped
cross-validation chose (the cue block did not raise CV F1, so the shipped file gives it weight 0; the
code stays so a model file that uses it still loads). Each block is L2-normalised on its own and
weighted, the dot product with the weights is squashed by a Platt sigmoid fitted on grouped
out-of-fold margins, so scores are calibrated probabilities, and the shipped threshold (the grouped-CV
F1 optimum, read from the model file) means the same thing for every article. The featuriser lives
here and the training script imports it, so training and runtime compute identical features; hashes
use zlib.crc32 and fixed multiplicative constants, never Python's per-process randomised hash(), so
scores are reproducible across processes.

The model holds only read-only numpy arrays after load, so concurrent score() calls are thread-safe.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import threading
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "data" / "checkworthy.npz"

# Feature blocks: each is L2-normalised separately, then scaled by its block weight.
BLOCK_WORD = 0
BLOCK_CHAR = 1
BLOCK_CUE = 2
N_BLOCKS = 3

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+", re.UNICODE)
_HASHTAG = re.compile(r"#(\w+)", re.UNICODE)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\w+(?:['’]\w+)*|[%$€£¥?!\"“”«»„]", re.UNICODE)
_NUMBER_GROUP = re.compile(r"\d+(?:[.,]\d+)*")
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
_PERCENT = re.compile(
    r"\d\s*%|\bper ?cent\b|\bprocent\b|\bpor ciento\b|\bpour ?cent\b|\bper cento\b|\bprozent\b"
    r"|٪|بالمئة|في المئة",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[$€£¥]\s*\d|\d\s*[$€£¥]|\b\d[\d.,]*\s*(?:dollars?|euros?|pounds?|dólares|dollari|riyals?)\b"
    r"|\b(?:dollars?|euros?|dólares|دولار|يورو|ريال)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b")
_BIG_NUMBER = re.compile(
    r"\b(?:thousand|million|billion|trillion|duizend|miljoen|miljard|mil|millones|millón|mille|milioni|miliardi"
    r"|millions?|milliards?|tausend|millionen|milliarden)\b|ألف|مليون|مليار",
    re.IGNORECASE,
)
_DATE_WORD = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|januari|februari|maart|mei|juni|juli|augustus|oktober|enero|febrero|marzo|abril|mayo|junio|julio"
    r"|agosto|septiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio"
    r"|settembre|ottobre|novembre|dicembre|janvier|février|mars|avril|juin|juillet|août|septembre"
    r"|octobre|décembre|januar|februar|märz|dezember|yesterday|gisteren|ayer|ieri|hier|gestern"
    r"|last year|vorig jaar|el año pasado|l'anno scorso|l'année dernière|letztes jahr)\b"
    r"|يناير|فبراير|مارس|أبريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر|أمس|العام الماضي",
    re.IGNORECASE,
)
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|told|tells|stated|states|claimed|claims|reported|reports|announced|according to"
    r"|confirmed|revealed|admitted|estimated|estimates|found|showed|shows|data|study|survey|poll|report"
    r"|zei|zegt|zeggen|volgens|aldus|meldt|meldde|verklaarde|stelt|bevestigde|onderzoek|cijfers|rapport"
    r"|dijo|dice|afirmó|afirma|según|declaró|aseguró|informó|anunció|estudio|encuesta|informe|datos"
    r"|ha detto|ha dichiarato|secondo|ha affermato|ha annunciato|ha confermato|studio|sondaggio|dati"
    r"|a déclaré|a dit|selon|d'après|a affirmé|a annoncé|étude|sondage|données"
    r"|sagte|sagt|laut|erklärte|berichtet|zufolge|studie|umfrage|daten)\b"
    r"|قال|قالت|يقول|وفق|وفقا|حسب|بحسب|أعلن|أعلنت|أكد|أكدت|صرح|كشف|كشفت|أفاد|تقرير|دراسة|إحصائية|مصادر",
    re.IGNORECASE,
)
_COMPARATIVE = re.compile(
    r"\b(?:more|less|fewer|than|most|least|highest|lowest|largest|biggest|smallest|best|worst|record"
    r"|increase[ds]?|decrease[ds]?|rose|risen|fell|fallen|doubled|tripled|cut|grew|grown|declined|\w+est"
    r"|meer|minder|dan|hoogste|laagste|grootste|kleinste|meest|gestegen|gedaald|verdubbeld"
    r"|más|menos|que|mayor|menor|récord|aumentó|subió|bajó|cayó|duplicó"
    r"|più|meno|maggiore|minore|aumentato|diminuito|plus|moins|hausse|baisse|mehr|weniger|höchste|gestiegen)\b"
    r"|أكثر|أقل|أعلى|أدنى|أكبر|أصغر|ارتفاع|انخفاض|تضاعف",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(
    r"\b(?:i|i'm|i've|i'll|me|my|we|we're|we'll|our|us|ik|wij|yo|nosotros|io|noi)\b", re.IGNORECASE
)
_SECOND_PERSON = re.compile(r"\b(?:you|your|you're|jij|je|u|usted|tu|tú|vous|du|sie)\b", re.IGNORECASE)
_FUTURE_MODAL = re.compile(
    r"\b(?:will|would|going to|gonna|should|could|must|can|might|may|let's|let us|want to|wants to"
    r"|zal|zullen|gaat|moet|moeten|kan|vamos|va a|debe|puede|sarà|deve|può|va|doit|peut|wird|muss|kann)\b"
    r"|سوف|يجب|يمكن",
    re.IGNORECASE,
)
_PAST = re.compile(r"\b(?:was|were|had|did|has been|have been|\w+ed)\b", re.IGNORECASE)
# Opinion, prediction and exhortation: what a speaker believes or wants is not checkable, and
# newsroom articles (columns especially) are full of it. Kept apart from the generic modal cue so the
# training data can weigh them separately.
_OPINION = re.compile(
    r"\b(?:i think|i believe|i feel|i hope|i guess|i suppose|in my (?:view|opinion)|we (?:need|must|should)"
    r"|should|ought to|must|needs? to|has to|have to|hopefully|clearly|obviously|of course)\b",
    re.IGNORECASE,
)
_FUTURE = re.compile(r"\b(?:will|won't|shall|going to|gonna|i'll|we'll|they'll|he'll|she'll|it'll)\b", re.IGNORECASE)
_THANKS = re.compile(
    r"\b(?:thank|thanks|welcome|applause|laughter|crosstalk|bedankt|dank|gracias|grazie|merci|danke|hello|hi"
    r"|good evening|good night|god bless)\b|شكرا",
    re.IGNORECASE,
)
_QUOTE = re.compile(r"[\"“”«»„]|(?:^|\s)'[^']{3,}'")
_CAPSPAN = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+(?:of\s+)?[A-Z][a-z]+)*")
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")

_CUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("pct", _PERCENT),
    ("money", _MONEY),
    ("year", _YEAR),
    ("bignum", _BIG_NUMBER),
    ("date", _DATE_WORD),
    ("attrib", _ATTRIBUTION),
    ("compar", _COMPARATIVE),
    ("first", _FIRST_PERSON),
    ("second", _SECOND_PERSON),
    ("modal", _FUTURE_MODAL),
    ("past", _PAST),
    ("opinion", _OPINION),
    ("future", _FUTURE),
    ("thanks", _THANKS),
    ("quote", _QUOTE),
)

_CHAR_ORDERS = (2, 3, 4, 5)
_CHAR_PRIME = np.uint64(0x100000001B3)
_CHAR_MIX = np.uint64(0x9E3779B97F4A7C15)
_SEPARATOR = 1  # byte that never occurs in normalised text; marks sentence boundaries in a batch


def _crc(token: str) -> int:
    return zlib.crc32(token.encode("utf-8"))


def normalize(text: str) -> str:
    """Unicode-normalised text with URLs, @mentions and # signs neutralised (tweets and articles alike)."""
    text = unicodedata.normalize("NFKC", text).replace("\x01", " ")
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" @user ", text)
    text = _HASHTAG.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def _word_tokens(lowered: str) -> list[str]:
    """Word tokens; a number becomes its digit-count shape so "3.5" and "4.2" share evidence."""
    tokens = []
    for tok in _TOKEN.findall(lowered):
        if tok[0].isdigit():
            tokens.append("0" * min(len(_DIGIT.findall(tok)), 5))
        else:
            tokens.append(tok)
    return tokens


def _bucket(length: int, edges: Sequence[int]) -> int:
    for i, edge in enumerate(edges):
        if length <= edge:
            return i
    return len(edges)


def cue_features(text: str) -> dict[str, float]:
    """Language-neutral cues a fact-checker looks for; names are shared across languages on purpose.

    These are what let the model degrade gracefully on languages it was not trained on: a number, a
    date, a quote or an attribution raises the score whatever the surrounding words.
    """
    feats: dict[str, float] = {}
    n_numbers = len(_NUMBER_GROUP.findall(text))
    n_words = len(text.split())
    feats[f"len:{_bucket(n_words, (3, 6, 10, 15, 22, 32, 50))}"] = 1.0
    if n_numbers:
        feats["num"] = 1.0
        feats[f"num:{min(n_numbers, 3)}"] = 1.0
    for name, pattern in _CUE_PATTERNS:
        hits = len(pattern.findall(text))
        if hits:
            feats[name] = 1.0
            if hits > 1:
                feats[name + ":2"] = 1.0
    caps = _CAPSPAN.findall(text)
    if caps:
        feats["caps"] = 1.0
        feats[f"caps:{min(len(caps), 3)}"] = 1.0
    if _ACRONYM.search(text):
        feats["acronym"] = 1.0
    stripped = text.rstrip()
    if stripped.endswith("?"):
        feats["question"] = 1.0
    if stripped.endswith("!"):
        feats["exclaim"] = 1.0
    if n_numbers and (feats.get("attrib") or feats.get("compar")):
        feats["num&claimcue"] = 1.0
    if feats.get("first") and feats.get("modal"):
        feats["first&modal"] = 1.0
    return feats


@dataclass(frozen=True)
class Featurizer:
    """Hashed sparse features shared by training and runtime.

    Returns COO triplets (row, column, value) with each block already L2-normalised and weighted, so
    training can build a scipy matrix and runtime can take a numpy dot product from the same arrays.
    With ``idf`` (one inverse document frequency per hash bucket, fitted by training) the word and
    character blocks become hashed sublinear TF-IDF, the representation of the plain TF-IDF
    logistic-regression baseline that grouped cross-validation measures every model against.
    """

    n_bits: int = 20
    block_weights: tuple[float, ...] = (1.0, 1.0, 1.0)
    idf: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def dim(self) -> int:
        return 1 << self.n_bits

    def _char_hashes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Char n-grams for a whole batch at once: vectorised rolling hash over the UTF-8 bytes."""
        if not texts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        buf = bytes([_SEPARATOR]).join((" " + t + " ").encode("utf-8") for t in texts)
        arr = np.frombuffer(buf, dtype=np.uint8)
        values = arr.astype(np.uint64)
        length = arr.shape[0]
        is_sep = (arr == _SEPARATOR).astype(np.int64)
        sep_cum = np.concatenate(([0], np.cumsum(is_sep)))
        row_of_pos = sep_cum[1:] - is_sep  # row index of each byte (a separator takes the previous row)
        shift = np.uint64(64 - self.n_bits)
        rows_out, cols_out = [], []
        for order in _CHAR_ORDERS:
            count = length - order + 1
            if count <= 0:
                continue
            h = np.full(count, np.uint64(order), dtype=np.uint64)
            for k in range(order):
                h = h * _CHAR_PRIME + values[k : k + count]
            valid = (sep_cum[order : order + count] - sep_cum[:count]) == 0
            buckets = ((h * _CHAR_MIX) >> shift).astype(np.int64)
            rows_out.append(row_of_pos[:count][valid])
            cols_out.append(buckets[valid])
        if not rows_out:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(rows_out), np.concatenate(cols_out)

    def raw_blocks(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per block (rows, cols, values) before IDF and normalisation; duplicates summed, sublinear tf.

        Split out of transform() so training can fit IDF on a cross-validation fold's rows alone and
        then finish the features exactly as transform() does.
        """
        mask = self.dim - 1
        norm_texts = [normalize(t) for t in texts]
        lowered = [t.lower() for t in norm_texts]
        char_texts = [_DIGIT.sub("0", t) for t in lowered]

        w_rows: list[int] = []
        w_cols: list[int] = []
        c_rows: list[int] = []
        c_cols: list[int] = []
        c_vals: list[float] = []
        for i, (orig, low) in enumerate(zip(norm_texts, lowered, strict=True)):
            toks = _word_tokens(low)
            grams = ["w:" + t for t in toks]
            grams += ["b:" + a + " " + b for a, b in itertools.pairwise(["<s>", *toks, "</s>"])]
            for g in grams:
                w_rows.append(i)
                w_cols.append(_crc(g) & mask)
            for name, value in cue_features(orig).items():
                c_rows.append(i)
                c_cols.append(_crc("cue:" + name) & mask)
                c_vals.append(value)
        ch_rows, ch_cols = self._char_hashes(char_texts)

        blocks = (
            (np.asarray(w_rows, np.int64), np.asarray(w_cols, np.int64), None),
            (ch_rows, ch_cols, None),
            (np.asarray(c_rows, np.int64), np.asarray(c_cols, np.int64), np.asarray(c_vals, np.float64)),
        )
        out = []
        for rows, cols, vals in blocks:
            keys = rows * self.dim + cols
            if vals is None:
                ukeys, counts = np.unique(keys, return_counts=True)
                uvals = 1.0 + np.log(counts.astype(np.float64))
            else:
                ukeys, inverse = np.unique(keys, return_inverse=True)
                uvals = (np.bincount(inverse, weights=vals) if vals.size else np.zeros(0)).astype(np.float64)
            out.append((ukeys // self.dim, ukeys % self.dim, uvals))
        return out

    def finish(
        self, blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """IDF on the word and character blocks, then per-block L2 norm and block weight."""
        out_r, out_c, out_v = [], [], []
        for block, (rows, cols, vals) in enumerate(blocks):
            if rows.size == 0 or self.block_weights[block] == 0:
                continue
            if self.idf is not None and block != BLOCK_CUE:
                vals = vals * self.idf[cols]
            norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=n))
            norms[norms == 0] = 1.0
            out_r.append(rows)
            out_c.append(cols)
            out_v.append(vals / norms[rows] * self.block_weights[block])
        if not out_r:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
        return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_v)

    def transform(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, values) for the batch: sublinear tf, optional IDF, per-block L2 norm and weight."""
        return self.finish(self.raw_blocks(texts), len(texts))


# ---------------------------------------------------------------- the plain baseline, in numpy

_SK_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_POLY = np.uint64(0x100000001B3)
_MASK64 = (1 << 64) - 1
_CHAR_NGRAMS = (2, 3, 4, 5)


def word_key(term: str) -> int:
    """64-bit key of a word n-gram ("tax" or "tax cut"): stable across processes and machines."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


def char_key(gram: str) -> int:
    """64-bit key of a character n-gram, the scalar twin of VocabularyTfidf._char_keys' rolling hash."""
    h = len(gram)
    for ch in gram:
        h = (h * int(_POLY) + ord(ch)) & _MASK64
    return (h * int(_CHAR_MIX)) & _MASK64


def word_grams(lowered: str) -> list[str]:
    """scikit-learn's word analyzer with ngram_range=(1, 2): tokens of 2+ word characters, then pairs."""
    tokens = _SK_TOKEN.findall(lowered)
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def char_wb_grams(lowered: str) -> list[str]:
    """scikit-learn's char_wb analyzer, n = 2..5: every n-gram inside a space-padded word."""
    grams = []
    for word in lowered.split():
        padded = f" {word} "
        for n in _CHAR_NGRAMS:
            grams += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return grams


class VocabularyTfidf:
    """Word 1-2-gram + char_wb 2-5-gram sublinear TF-IDF over a fixed vocabulary, as scikit-learn computes it.

    This is the featuriser of the plain baseline (TfidfVectorizer x 2 + logistic regression) without
    scikit-learn: the vocabulary is stored as sorted 64-bit keys of its terms (a term not in the
    vocabulary is ignored, as the vectoriser ignores it; a 64-bit key makes a false match negligible),
    with one IDF per term. Each block is L2-normalised on its own, as each vectoriser normalises its
    rows before hstack. Columns are word terms first, then character terms, matching the weight vector.
    """

    def __init__(self, word_keys: np.ndarray, word_idf: np.ndarray, char_keys: np.ndarray,
                 char_idf: np.ndarray) -> None:
        self.word_keys = np.ascontiguousarray(word_keys, dtype=np.uint64)
        self.char_keys = np.ascontiguousarray(char_keys, dtype=np.uint64)
        self.word_idf = np.ascontiguousarray(word_idf, dtype=np.float64)
        self.char_idf = np.ascontiguousarray(char_idf, dtype=np.float64)
        for array in (self.word_keys, self.char_keys, self.word_idf, self.char_idf):
            array.setflags(write=False)

    @property
    def dim(self) -> int:
        return len(self.word_keys) + len(self.char_keys)

    @staticmethod
    def _char_keys(lowered: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, key) of every char_wb n-gram in the batch: a vectorised rolling hash over code points."""
        padded = [(row, f" {word} ") for row, text in enumerate(lowered) for word in text.split()]
        if not padded:
            return np.zeros(0, np.int64), np.zeros(0, np.uint64)
        lengths = np.array([len(w) for _, w in padded], dtype=np.int64)
        rows = np.repeat(np.array([r for r, _ in padded], dtype=np.int64), lengths)
        ends = np.repeat(np.cumsum(lengths), lengths)  # end of each position's word
        codes = np.frombuffer("".join(w for _, w in padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        total = codes.shape[0]
        rows_out, keys_out = [], []
        for n in _CHAR_NGRAMS:
            count = total - n + 1
            if count <= 0:
                continue
            h = np.full(count, np.uint64(n), dtype=np.uint64)
            for k in range(n):
                h = h * _POLY + codes[k:k + count]
            valid = np.arange(count) + n <= ends[:count]
            rows_out.append(rows[:count][valid])
            keys_out.append((h * _CHAR_MIX)[valid])
        return np.concatenate(rows_out), np.concatenate(keys_out)

    @staticmethod
    def _block(rows: np.ndarray, keys: np.ndarray, vocab: np.ndarray, idf: np.ndarray, offset: int,
               n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Look keys up in the vocabulary; sublinear tf * idf, L2-normalised per row."""
        if keys.size == 0 or vocab.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
        index = np.minimum(np.searchsorted(vocab, keys), vocab.size - 1)
        known = vocab[index] == keys
        cells, counts = np.unique(rows[known] * vocab.size + index[known], return_counts=True)
        r, c = cells // vocab.size, cells % vocab.size
        vals = (1.0 + np.log(counts.astype(np.float64))) * idf[c]
        norms = np.sqrt(np.bincount(r, weights=vals * vals, minlength=n))
        norms[norms == 0] = 1.0
        return r, c + offset, vals / norms[r]

    def transform(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, values) of the batch: the baseline's feature matrix as COO triplets."""
        lowered = [t.lower() for t in texts]
        w_rows = [row for row, text in enumerate(lowered) for _ in word_grams(text)]
        w_keys = np.array([word_key(g) for text in lowered for g in word_grams(text)], dtype=np.uint64)
        c_rows, c_keys = self._char_keys(lowered)
        n = len(texts)
        blocks = (self._block(np.asarray(w_rows, np.int64), w_keys, self.word_keys, self.word_idf, 0, n),
                  self._block(c_rows, c_keys, self.char_keys, self.char_idf, len(self.word_keys), n))
        return tuple(np.concatenate(parts) for parts in zip(*blocks, strict=True))  # type: ignore[return-value]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0)))


class CheckworthinessModel:
    """Calibrated P(check-worthy) for sentences; see the module docstring for the design."""

    threshold: float

    def __init__(
        self,
        weights: np.ndarray,
        intercept: float,
        featurizer: Featurizer | VocabularyTfidf,
        platt: Sequence[float],
        threshold: float,
        context: Sequence[float] = (0.0, 0.0, 0.0),
        metadata: dict | None = None,
    ) -> None:
        self._weights = np.ascontiguousarray(weights, dtype=np.float32)
        self._weights.setflags(write=False)
        self._intercept = float(intercept)
        self.featurizer = featurizer
        self._platt = (float(platt[0]), float(platt[1]))
        self.threshold = float(threshold)
        # Document-context weights: (neighbours' mean, own deviation from the document, position).
        self._context = tuple(float(c) for c in context)
        self.metadata = metadata or {}

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> CheckworthinessModel:
        """Load a model file written by training/train_checkworthy.py (None = the shipped model)."""
        model_path = Path(path) if path is not None else DEFAULT_MODEL_PATH
        with np.load(model_path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if "word_keys" in data.files:
                vocabulary = VocabularyTfidf(data["word_keys"], data["word_idf"], data["char_keys"], data["char_idf"])
                return cls(
                    weights=np.concatenate([data["word_coef"], data["char_coef"]]).astype(np.float32),
                    intercept=float(meta["intercept"]),
                    featurizer=vocabulary,
                    platt=tuple(meta["platt"]),
                    threshold=float(meta["threshold"]),
                    context=tuple(meta.get("context", (0.0, 0.0, 0.0))),
                    metadata=meta,
                )
            weights = np.zeros(1 << int(meta["n_bits"]), dtype=np.float32)
            weights[data["idx"].astype(np.int64)] = data["val"].astype(np.float32)
            idf = None
            if "idf_idx" in data.files:
                # Buckets never seen in training get the largest IDF, as an unseen term would.
                idf = np.full(1 << int(meta["n_bits"]), float(meta["idf_default"]), dtype=np.float64)
                idf[data["idf_idx"].astype(np.int64)] = data["idf_val"].astype(np.float64)
                idf.setflags(write=False)
        featurizer = Featurizer(
            n_bits=int(meta["n_bits"]), block_weights=tuple(meta["block_weights"]), idf=idf
        )
        return cls(
            weights=weights,
            intercept=float(meta["intercept"]),
            featurizer=featurizer,
            platt=tuple(meta["platt"]),
            threshold=float(meta["threshold"]),
            context=tuple(meta.get("context", (0.0, 0.0, 0.0))),
            metadata=meta,
        )

    def margins(self, sentences: Sequence[str]) -> np.ndarray:
        """Raw linear scores (before calibration); used by training and the document-context layer."""
        texts = list(sentences)
        if not texts:
            return np.zeros(0, np.float64)
        rows, cols, vals = self.featurizer.transform(texts)
        contrib = self._weights[cols].astype(np.float64) * vals
        return np.bincount(rows, weights=contrib, minlength=len(texts)) + self._intercept

    def calibrate(self, margins: np.ndarray) -> np.ndarray:
        """Platt sigmoid fitted on out-of-fold training margins: margins to probabilities."""
        a, b = self._platt
        return _sigmoid(a * margins + b)

    def score(self, sentences: Sequence[str]) -> list[float]:
        """Calibrated P(check-worthy) for each sentence taken on its own."""
        return [float(p) for p in self.calibrate(self.margins(sentences))]

    def document_margins(self, sentences: Sequence[str]) -> np.ndarray:
        """Margins adjusted by document context (see score_document)."""
        return apply_context(self.margins(sentences), self._context)

    def score_document(self, sentences: Sequence[str]) -> list[float]:
        """Same, for the sentences of one article in order, letting context nudge each score.

        Claims cluster (a statistic is usually surrounded by related statements) and a sentence that
        stands out from its document is more likely the one worth checking, so the margin is adjusted by
        the neighbours' mean, the sentence's deviation from the document mean and its relative position.
        The weights are fitted on whole CLEF-2019 documents and are small, so an isolated strong claim
        keeps its score.
        """
        return [float(p) for p in self.calibrate(self.document_margins(sentences))]


def apply_context(margins: np.ndarray, context: Sequence[float]) -> np.ndarray:
    """Shift margins by (neighbours' mean, deviation from the document mean, position) weights."""
    m = np.asarray(margins, dtype=np.float64)
    n = m.shape[0]
    if n < 2 or not any(context):
        return m
    w_neigh, w_dev, w_pos = context
    padded = np.concatenate(([m[0]], m, [m[-1]]))
    neigh = (padded[:-2] + padded[2:]) / 2.0
    doc_mean = float(m.mean())
    position = np.arange(n, dtype=np.float64) / (n - 1)
    return m + w_neigh * (neigh - doc_mean) + w_dev * (m - doc_mean) + w_pos * (position - 0.5)


_DEFAULT: CheckworthinessModel | None = None
_DEFAULT_LOCK = threading.Lock()


def default_model() -> CheckworthinessModel:
    """The shipped model, loaded once per process (double-checked lock, so threads share one copy)."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = CheckworthinessModel.load(None)
    return _DEFAULT


__all__ = [
    "DEFAULT_MODEL_PATH",
    "CheckworthinessModel",
    "Featurizer",
    "VocabularyTfidf",
    "apply_context",
    "cue_features",
    "default_model",
    "normalize",
]
