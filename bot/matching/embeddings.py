"""Optional embeddings through any OpenAI-compatible `/v1/embeddings` endpoint.

Why optional: the matcher must work offline and free on the desk's own database; when a key is
configured, embeddings add paraphrase recall that word and character overlap miss. Vectors are stored
(table `claim_embeddings`) so that each claim is embedded once, not on every search.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from bot.infra.bounded_http import bounded_client

# An answer for one batch of 64 texts at 3,072 dimensions is about 4 MB of JSON.
MAX_ANSWER_BYTES = 16 * 1024 * 1024


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def pack(vector: Sequence[float]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def unpack(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4")


class Embedder:
    """Embeds texts with the `openai` client pointed at `base_url` (OpenAI itself when None).

    Every call has a total deadline (`timeout`) and a size cap (bot.infra.bounded_http), so a server
    that trickles or answers without end cannot hold the job that asked.
    """

    def __init__(self, api_key: str, model: str = "text-embedding-3-small", base_url: str | None = None,
                 timeout: float = 10.0, max_retries: int = 2, max_bytes: int = MAX_ANSWER_BYTES) -> None:
        from openai import OpenAI

        self.model = model
        self._client = OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
                              # openai types its client as httpx2's; an httpx.Client has the same interface
                              # (tests/test_matching.py runs it against the local stand-in).
                              http_client=cast(Any, bounded_client(total_timeout=timeout, max_bytes=max_bytes)))

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        response = self._client.embeddings.create(model=self.model, input=list(texts))
        ordered = sorted(response.data, key=lambda item: item.index)
        return [list(item.embedding) for item in ordered]
