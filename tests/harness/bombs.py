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


def big_page(n_bytes: int = 5_000_000) -> bytes:
    """A page of `n_bytes` of short, distinct sentences: too much text rather than too many bytes on the
    wire (issue #11 item 3: such a page once took 28 s and 2.2 GB to read)."""
    parts = ['<html lang="en"><head><title>Market log</title></head><body><article><h1>Market log</h1>\n']
    size, index = len(parts[0]), 0
    while size < n_bytes:
        paragraph = "<p>" + " ".join(f"Index {index}-{j} rose {(index * 7 + j) % 97} percent." for j in range(8))
        parts.append(paragraph + "</p>\n")
        size += len(parts[-1])
        index += 1
    parts.append("</article></body></html>")
    return "".join(parts).encode()
