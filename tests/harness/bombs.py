"""Compression bombs for the fetcher's decoding limits: tiny bodies that expand enormously.

Why here and not inline in a test: the tests and `bench/fetch_bombs.py` must attack the fetcher with
the same bytes. Bodies are built by compressing a 1 MB block over and over, so building a 400 MB bomb
never holds 400 MB; results are cached because building one costs about a second.
"""

from __future__ import annotations

import functools
import zlib

MB = 1024 * 1024


def _compress(wbits: int, expanded_bytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b" " * MB
    parts = [packer.compress(b"<html><body>")]
    whole, rest = divmod(expanded_bytes, len(block))
    parts.extend(packer.compress(block) for _ in range(whole))
    parts.append(packer.compress(block[:rest]))
    parts.append(packer.flush())
    return b"".join(parts)


@functools.lru_cache(maxsize=8)
def gzip_bomb(expanded_bytes: int) -> bytes:
    """`Content-Encoding: gzip`: one gzip member expanding to `expanded_bytes` (about 1000:1)."""
    return _compress(31, expanded_bytes)


@functools.lru_cache(maxsize=8)
def deflate_bomb(expanded_bytes: int, *, raw: bool = False) -> bytes:
    """`Content-Encoding: deflate`, zlib-wrapped as RFC 9110 says, or raw deflate as some servers send."""
    return _compress(-15 if raw else 15, expanded_bytes)


@functools.lru_cache(maxsize=8)
def stacked_gzip_bomb(expanded_bytes: int) -> bytes:
    """`Content-Encoding: gzip, gzip`: a gzip bomb gzipped again. The outer layer squeezes the inner
    bomb's repetitive bytes too, so 400 MB fit in under a kilobyte (about 500,000:1)."""
    inner = gzip_bomb(expanded_bytes)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return packer.compress(inner) + packer.flush()
