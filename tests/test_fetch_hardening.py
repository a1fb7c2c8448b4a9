"""Second-round hardening of the fetcher (issue #11), against real local servers.

* Compression: the decoded size is capped while decoding, so a bomb never inflates past the cap, even
  stacked (`gzip, gzip`, refused outright) or as deflate; unknown encodings (br) are refused in plain
  words. Memory is measured in a child process (peak RSS of a fresh interpreter), not in the test's own
  process, whose peak depends on every test that ran before.
* SSRF: IPv6 spellings that carry an IPv4 address (IPv4-compatible, mapped, translated, NAT64, 6to4)
  are judged by that IPv4 address, and refused before any connection.
* Allow-list: only addresses that pass the check are ever connected to.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import os
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.articles.fetch import FetchError, FetchPolicy, fetch, is_public_address
from tests.harness.article_server import ArticleServer
from tests.harness.bombs import MB, deflate_bomb, gzip_bomb, stacked_gzip_bomb
from tests.harness.fetching import policy_for, refused

ROOT = Path(__file__).resolve().parent.parent
PAGE = ("<html><head><title>Budget</title></head><body><article><p>"
        + "The council spent 3.5 million euros in 2023, more than planned. " * 20
        + "</p></article></body></html>").encode()

# A fresh interpreter fetches one URL and reports how much its peak RSS grew during the fetch.
CHILD = """
import json, resource, sys
from bot.articles.fetch import FetchError, FetchPolicy, fetch
policy = FetchPolicy(allowed_private_hosts=frozenset({sys.argv[2]}), total_timeout=30)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    fetch(sys.argv[1], policy)
    code = "ok"
except FetchError as error:
    code = error.code
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"code": code, "growth_mb": (after - before) / 1024}))
"""


@pytest.fixture
def server() -> Iterator[ArticleServer]:
    with ArticleServer() as started:
        yield started


def fetch_in_child(url: str, allowed: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", CHILD, url, allowed], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# -- compression -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "body"), [
    ("gzip", gzip.compress(PAGE)),
    ("x-gzip", gzip.compress(PAGE)),
    ("GZip", gzip.compress(PAGE)),
    ("gzip", gzip.compress(PAGE[:100]) + gzip.compress(PAGE[100:])),  # two gzip members, one after the other
    ("deflate", zlib.compress(PAGE)),
    ("deflate", zlib.compress(PAGE, wbits=-15)),  # raw deflate, as some servers send it
    ("identity", PAGE),
    ("", PAGE),
])
def test_accepted_encodings_are_decoded(server: ArticleServer, encoding: str, body: bytes) -> None:
    server.add("/page", body, headers={"Content-Encoding": encoding} if encoding else {})
    assert fetch(server.url("/page"), policy_for(server)).body == PAGE


def test_only_decodable_encodings_are_requested(server: ArticleServer) -> None:
    server.add("/page", PAGE)
    fetch(server.url("/page"), policy_for(server))
    asked = {token.split(";")[0].strip() for token in server.requests[0].headers["Accept-Encoding"].split(",")}
    assert asked <= {"gzip", "deflate", "identity", "x-gzip"}
    assert "br" not in asked and "zstd" not in asked


@pytest.mark.parametrize("encoding", ["gzip, gzip", "deflate, gzip", "gzip,identity,gzip"])
def test_stacked_encodings_are_refused_in_plain_words(server: ArticleServer, encoding: str) -> None:
    server.add("/stacked", stacked_gzip_bomb(400 * MB), headers={"Content-Encoding": encoding})
    started = time.monotonic()
    error = refused(server.url("/stacked"), policy_for(server))
    assert error.code == "encoding"
    assert "compressed more than once" in error.message
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br", "rot13"])
def test_unknown_encodings_are_refused_in_plain_words(server: ArticleServer, encoding: str) -> None:
    server.add("/odd", b"\x0b\x02\x80<html></html>\x03", headers={"Content-Encoding": encoding})
    error = refused(server.url("/odd"), policy_for(server))
    assert error.code == "encoding"
    assert "compressed in a way" in error.message or "compressed more than once" in error.message


def test_broken_compression_is_refused(server: ArticleServer) -> None:
    server.add("/broken", b"\x1f\x8b\x08\x00garbage that is not deflate", headers={"Content-Encoding": "gzip"})
    assert refused(server.url("/broken"), policy_for(server)).code == "decoding"


@pytest.mark.parametrize(("name", "encoding", "body", "expected"), [
    ("gzip", "gzip", lambda: gzip_bomb(400 * MB), "too_large"),
    ("deflate", "deflate", lambda: deflate_bomb(400 * MB), "too_large"),
    ("raw-deflate", "deflate", lambda: deflate_bomb(400 * MB, raw=True), "too_large"),
    ("stacked", "gzip, gzip", lambda: stacked_gzip_bomb(400 * MB), "encoding"),
])
def test_bombs_are_refused_and_never_inflate_past_the_cap(server: ArticleServer, name: str, encoding: str,
                                                          body: object, expected: str) -> None:
    """A fresh process fetches the bomb; its peak memory may grow by a few times the 5 MB cap (the
    kept body, the joined copy, buffers), never by the hundreds of MB the bomb holds."""
    server.add(f"/{name}", body(), headers={"Content-Encoding": encoding})  # type: ignore[operator]
    result = fetch_in_child(server.url(f"/{name}"), f"127.0.0.1:{server.port}")
    assert result["code"] == expected
    assert float(result["growth_mb"]) < 25, result  # type: ignore[arg-type]


@pytest.mark.parametrize(("encoding", "bomb"), [
    ("gzip", lambda: gzip_bomb(400 * MB)),
    ("deflate", lambda: deflate_bomb(400 * MB)),
    ("deflate", lambda: deflate_bomb(400 * MB, raw=True)),
])
def test_the_decoder_never_produces_more_than_the_cap(encoding: str, bomb: object) -> None:
    """The decoder's own counter: fed a bomb in network-sized pieces, it stops at cap + 1 bytes, and
    no single piece it hands out is larger than its step."""
    from bot.articles.fetch import ContentDecoder  # new in this round; imported here so the rest runs on older code

    cap = 5 * MB
    decoder = ContentDecoder(encoding, cap)
    data = bomb()  # type: ignore[operator]
    largest = 0
    with pytest.raises(FetchError) as caught:
        for start in range(0, len(data), 65536):
            for piece in decoder.feed(data[start:start + 65536]):
                largest = max(largest, len(piece))
        for piece in decoder.finish():
            largest = max(largest, len(piece))
    assert caught.value.code == "too_large"
    assert decoder.decoded <= cap + 1
    assert largest <= ContentDecoder.STEP


# -- addresses that carry an IPv4 address ------------------------------------------------------------

@pytest.mark.parametrize("address", [
    "::127.0.0.2",                # IPv4-compatible (deprecated, still parsed)
    "::ffff:127.0.0.2",           # IPv4-mapped
    "::ffff:0:127.0.0.2",         # IPv4-translated (SIIT)
    "64:ff9b::127.0.0.2",         # NAT64 well-known prefix
    "64:ff9b::a9fe:a9fe",         # NAT64 to 169.254.169.254 (cloud metadata)
    "64:ff9b:1::7f00:2",          # NAT64 local-use prefix
    "64:ff9b:1:7f00:2::",         # local-use NAT64 with a /48 prefix (IPv4 right after it)
    "2002:7f00:2::1",             # 6to4 of 127.0.0.2
    "2002:a00:1::1",              # 6to4 of 10.0.0.1
    "::10.0.0.1",
    "::169.254.169.254",
])
def test_ipv6_carrying_a_private_ipv4_is_refused_without_connecting(address: str, forbidden: ArticleServer) -> None:
    def resolver(host: str, port: int) -> list[str]:
        return [address]

    error = refused(f"http://innocent.example:{forbidden.port}/secret", FetchPolicy(), resolver=resolver)
    assert error.code == "blocked"
    assert forbidden.hits("/secret") == 0


@pytest.mark.parametrize(("address", "public"), [
    ("64:ff9b::8.8.8.8", True),
    ("::ffff:8.8.8.8", True),
    ("2002:808:808::1", True),
    ("2606:4700::1111", True),
    ("64:ff9b:1::808:808", False),  # local-use NAT64 is inside one network by definition
    ("::1", False),
    ("::", False),
])
def test_embedded_ipv4_is_what_is_judged(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


# -- the allow-list covers the address actually used -------------------------------------------------

def test_only_allowed_addresses_are_connected_to(forbidden: ArticleServer) -> None:
    """A name answering [127.0.0.2, 127.0.0.1] with only 127.0.0.1:PORT allowed: the fetch goes to
    127.0.0.1 (same port), never to the first answer."""
    with ArticleServer(port=forbidden.port) as allowed:
        allowed.add("/secret", "<html><body><p>the intranet page</p></body></html>")

        def resolver(host: str, port: int) -> list[str]:
            return ["127.0.0.2", "127.0.0.1"]

        policy = FetchPolicy(allowed_private_hosts=frozenset({f"127.0.0.1:{allowed.port}"}))
        page = fetch(f"http://cms.example:{allowed.port}/secret", policy, resolver=resolver)
        assert b"the intranet page" in page.body
        assert allowed.hits("/secret") == 1
    assert forbidden.hits("/secret") == 0


def test_a_name_with_no_allowed_address_is_refused(forbidden: ArticleServer) -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.2", "10.0.0.9"]

    policy = FetchPolicy(allowed_private_hosts=frozenset({"127.0.0.1", f"127.0.0.1:{forbidden.port}"}))
    error = refused(f"http://cms.example:{forbidden.port}/secret", policy, resolver=resolver)
    assert error.code == "blocked"
    assert forbidden.hits("/secret") == 0
