"""LLM results kept per canonical URL, so reading the same article again costs no tokens.

`python app.py check` has no database: its results are kept as small JSON files (OPENAI_CACHE_DIR),
one per key (canonical URL, model, prompt version). An entry is used only while the article's text is
unchanged and it is younger than OPENAI_CACHE_DAYS; only answers the model gave are kept (never the
embedded extractor's fallback, so a server that was down is asked again next time). In Slack the
`articles` row, one per canonical URL, already plays this part.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from bot.claims.base import ExtractedClaim, Extraction, Usage

log = logging.getLogger(__name__)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class AnswerCache:
    def __init__(self, directory: str | os.PathLike[str], max_age_days: float = 7.0) -> None:
        self.directory = Path(directory)
        self.max_age = max_age_days * 86400

    def _path(self, key: str) -> Path:
        return self.directory / f"{_digest(key)[:40]}.json"

    def get(self, key: str, text: str) -> Extraction | None:
        path = self._path(key)
        try:
            if time.time() - path.stat().st_mtime > self.max_age:
                return None
            entry = json.loads(path.read_text(encoding="utf-8"))
            if entry.get("key") != key or entry.get("text") != _digest(text):
                return None
            data = entry["extraction"]
            return Extraction(
                summary=data["summary"], claims=[ExtractedClaim(**c) for c in data["claims"]],
                extractor=data["extractor"], candidates=data["candidates"],
                more=[ExtractedClaim(**c) for c in data["more"]], summary_source=data["summary_source"],
                partial=data["partial"], note=data.get("note"), usage=Usage(cached=True))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("ignored an unreadable LLM cache entry %s: %s", path.name, type(error).__name__)
            return None

    def put(self, key: str, text: str, extraction: Extraction) -> None:
        data = dataclasses.asdict(extraction)
        data.pop("usage", None)
        entry = {"key": key, "text": _digest(text), "extraction": data}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=self.directory, suffix=".tmp",
                                             delete=False) as handle:
                json.dump(entry, handle, ensure_ascii=False)
            os.replace(handle.name, self._path(key))
        except OSError as error:
            log.warning("could not keep the LLM answer in %s: %s", self.directory, error)
