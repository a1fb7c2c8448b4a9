"""Fetch a pasted link safely.

Anyone in the workspace can paste any URL, and the bot fetches it from inside the newsroom's network,
so the fetcher is an SSRF boundary:

* only http and https;
* the host is resolved here, every resolved address must be public (loopback, private, link-local,
  unique-local, multicast, reserved and the like are refused whatever the spelling: `2130706433`,
  `0x7f.1`, `127.1`, `[::ffff:127.0.0.1]` all resolve to the same address and are judged on it);
* the connection goes to the address that was checked (the URL is pinned to the IP, with the Host
  header and TLS SNI set to the name), so DNS rebinding between check and connect does not work;
* redirects are followed by hand, each hop checked the same way;
* connect and total deadlines; the body is decoded here, not by httpx, with the cap applied while
  inflating (zlib's max_length), so a compression bomb never expands past the cap in memory; one layer
  of gzip or deflate at most (stacked or unknown encodings are refused);
* only HTML is read.

IPv6 addresses that carry an IPv4 address (IPv4-mapped, -compatible and -translated, NAT64, 6to4,
Teredo) are judged by that IPv4 address: `64:ff9b::127.0.0.1` reaches 127.0.0.1 through a NAT64 gateway.

Hosts listed in FETCH_ALLOWED_PRIVATE_HOSTS (`host` or `host:port`) skip the address check: an
intranet CMS, or the tests' local article server. Listed addresses (`10.0.0.5`, `10.0.0.5:8080`) admit
only themselves: a name resolving to a listed and an unlisted private address is fetched from the listed
one, never from the other.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import httpx

log = logging.getLogger(__name__)

USER_AGENT = (
    "FactcheckDeskBot/0.1 (Slack fact-checking bot for newsrooms; reads pasted article links; "
    "+https://github.com/factcheck-desk/factcheck-desk)"
)
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Content-Encodings we decode ourselves, and so the only ones we ask for (never br or zstd).
ACCEPT_ENCODING = "gzip, deflate"
_GZIP = ("gzip", "x-gzip")
_DEFLATE = ("deflate",)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class FetchError(Exception):
    """A link that cannot be read; `message` is what the newsroom sees, in plain words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class FetchedPage:
    url: str
    final_url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    elapsed: float = 0.0


class FetchSettings(Protocol):
    """The settings a fetch policy is made of (bot.config.settings.Settings has them)."""

    fetch_max_bytes: int
    fetch_connect_timeout: float
    fetch_total_timeout: float
    fetch_max_redirects: int
    fetch_allowed_private_hosts: list[str]


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int = 5 * 1024 * 1024
    connect_timeout: float = 5.0
    total_timeout: float = 15.0
    max_redirects: int = 5
    allowed_private_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings: FetchSettings) -> FetchPolicy:
        return cls(
            max_bytes=settings.fetch_max_bytes,
            connect_timeout=settings.fetch_connect_timeout,
            total_timeout=settings.fetch_total_timeout,
            max_redirects=settings.fetch_max_redirects,
            allowed_private_hosts=frozenset(h.lower() for h in settings.fetch_allowed_private_hosts),
        )


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses the system resolver gives for host (it also parses every numeric spelling)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("dns", f"the site's name ({host}) could not be found") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address delivers to, when it is one of the forms that carry one.

    Python's `is_global` judges these by their IPv6 prefix and calls `::127.0.0.1` and
    `64:ff9b::a9fe:a9fe` (NAT64 to the cloud metadata address) global, so they are unwrapped here.
    """
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64_WELL_KNOWN or address in _IPV4_COMPATIBLE or address in _IPV4_TRANSLATED:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """Whether an address is on the public internet, judging IPv6 forms that carry IPv4 by that IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL_USE:
            # RFC 8215 local-use NAT64: a gateway inside the network, and the IPv4 address sits at an
            # offset only that network knows (prefix /48 to /96). Never public.
            return False
        embedded = embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
        if address.scope_id:
            return False
    return address.is_global and not address.is_multicast


def _listed(policy: FetchPolicy, name: str, port: int) -> bool:
    allowed = policy.allowed_private_hosts
    return name in allowed or f"{name}:{port}" in allowed or f"[{name}]:{port}" in allowed


def check_destination(url: str, policy: FetchPolicy, resolver: Resolver = system_resolver) -> tuple[str, int, str]:
    """Validate one hop; return (host, port, address to connect to) or raise FetchError.

    The address returned is always one that passed the check: a listed host name admits whatever it
    resolves to (the operator vouched for the name); otherwise every answer must be public, except
    answers listed by address, and the connection goes to one of those that passed.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError("invalid_url", "that does not look like a valid web address") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError("scheme", f"only web pages (http/https) can be checked, not {scheme or 'this'} links")
    host = parts.hostname
    if not host:
        raise FetchError("invalid_url", "that does not look like a valid web address")
    if parts.username is not None or parts.password is not None:
        # `http://news.example@10.0.0.1/` reads like a news site but goes to 10.0.0.1: never forward it.
        raise FetchError("blocked", "links with a user name or password in them are not fetched")
    port = port or (443 if scheme == "https" else 80)
    addresses = resolver(host, port)
    if not addresses:
        raise FetchError("dns", f"the site's name ({host}) could not be found")
    if _listed(policy, host.lower(), port):
        return host, port, addresses[0]
    listed = [a for a in addresses if _listed(policy, a, port)]
    unlisted = [a for a in addresses if a not in listed]
    private = [a for a in unlisted if not is_public_address(ipaddress.ip_address(a.split("%")[0]))]
    if private and not listed:
        # A public name with any internal answer is refused outright: that is what rebinding looks like.
        log.warning("refused fetch of %s: %s resolves to non-public %s", url, host, private[0])
        raise FetchError("blocked", "that address is on a private or internal network, "
                                    "which the bot does not fetch")
    usable = [a for a in addresses if a not in private]
    if private:
        log.warning("fetch of %s: skipping %s's unlisted non-public answers %s", url, host, ", ".join(private))
    return host, port, usable[0]


def _pinned_request(client: httpx.Client, url: str, host: str, port: int, address: str) -> httpx.Request:
    """A request to the checked address, still presenting the original name to the server."""
    target = httpx.URL(url)
    pinned = target.copy_with(host=address, port=port)
    default_port = 443 if target.scheme == "https" else 80
    host_header = host if port == default_port else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if port == default_port else f"[{host}]:{port}"
    extensions = {"sni_hostname": host} if target.scheme == "https" else {}
    return client.build_request("GET", pinned, headers={"Host": host_header}, extensions=extensions)


def _sniff_not_html(head: bytes) -> str | None:
    stripped = head.lstrip()[:8]
    if stripped.startswith(b"%PDF"):
        return "a PDF document"
    if stripped.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")):
        return "an image"
    if stripped.startswith((b"PK\x03\x04", b"\x1f\x8b")):
        return "a compressed file"
    return None


def _describe_type(content_type: str) -> str:
    if content_type == "application/pdf":
        return "a PDF document"
    if content_type.startswith("image/"):
        return "an image"
    if content_type.startswith(("video/", "audio/")):
        return "a video or audio file"
    return f"not a web page ({content_type or 'unknown type'})"


def _status_error(status: int) -> FetchError:
    if status == 404 or status == 410:
        return FetchError("not_found", f"the page was not found (HTTP {status}): the link may be dead")
    if status in (401, 402, 403):
        return FetchError("forbidden", f"the site refused access (HTTP {status}): it may be behind a paywall or login")
    if status == 429:
        return FetchError("rate_limited", "the site is rate-limiting requests (HTTP 429): try again later")
    if status >= 500:
        return FetchError("server_error", f"the site had an error (HTTP {status}): try again later")
    return FetchError("http_status", f"the site answered HTTP {status} instead of a page")


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context for all fetches: building it (loading the CA bundle) costs ~13 ms per link."""
    return httpx.create_ssl_context()


def fetch(
    url: str,
    policy: FetchPolicy,
    *,
    resolver: Resolver = system_resolver,
    transport: httpx.BaseTransport | None = None,
) -> FetchedPage:
    """Fetch an HTML page under the policy; raises FetchError with a human message on any refusal."""
    started = time.monotonic()
    deadline = started + policy.total_timeout

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError("timeout", f"the site took longer than {policy.total_timeout:g} seconds to answer")
        return left

    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        "Accept-Encoding": ACCEPT_ENCODING,
        "Accept-Language": "en;q=1.0, *;q=0.5",
    }
    current = url
    with httpx.Client(headers=headers, follow_redirects=False, transport=transport, trust_env=False,
                      verify=_ssl_context()) as client:
        for _hop in range(policy.max_redirects + 1):
            host, port, address = check_destination(current, policy, resolver)
            timeout = httpx.Timeout(connect=min(policy.connect_timeout, remaining()), read=remaining(),
                                    write=remaining(), pool=remaining())
            request = _pinned_request(client, current, host, port, address)
            request.extensions["timeout"] = timeout.as_dict()
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise FetchError("timeout", "the site took too long to answer") from exc
            except httpx.HTTPError as exc:
                raise FetchError("connect", "the site could not be reached") from exc
            try:
                if response.is_redirect:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError("http_status", "the site sent a broken redirect")
                    current = urljoin(current, location)
                    continue
                if response.status_code >= 400:
                    raise _status_error(response.status_code)
                return _read_body(url, current, response, policy, remaining, started)
            finally:
                response.close()
        raise FetchError("redirects", f"the link redirects more than {policy.max_redirects} times")


def _too_large(limit: int) -> FetchError:
    return FetchError("too_large", f"the page is larger than {limit / (1024 * 1024):g} MB, too big to read")


class ContentDecoder:
    """Undo one layer of Content-Encoding with the size cap applied while inflating, not after.

    httpx inflates each network chunk whole before the caller can count it: about 64 KB of gzip at
    1000:1 is 64 MB in one piece, and `gzip, gzip` multiplies the ratios (an 848-byte body held 400 MB
    and took the bot from 118 MB to 981 MB). Here zlib's `max_length` bounds every piece to `STEP`
    bytes and the running total to `limit + 1` (`decoded`), so memory stays near the cap whatever the
    page sends. Only one layer of gzip or deflate is read: a second layer has no use on a web page
    except to multiply a bomb, and anything else (br, zstd, compress) would go undecoded into the parser.
    """

    STEP = 64 * 1024

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1:
            raise FetchError("encoding", f"the page is compressed more than once ({', '.join(codings)}), "
                                         "which the bot does not unpack")
        self.coding = codings[0] if codings else None
        if self.coding is not None and self.coding not in (*_GZIP, *_DEFLATE):
            raise FetchError("encoding", f"the page is compressed in a way the bot does not read ({self.coding})")
        self.limit = limit
        self.decoded = 0  # bytes handed out so far; never more than limit + 1
        self._raw_deflate = False
        self._inflater = self._new_inflater()

    def _new_inflater(self) -> zlib._Decompress | None:
        return None if self.coding is None else self._inflater_for(self.coding)

    def _inflater_for(self, coding: str) -> zlib._Decompress:
        if coding in _GZIP:
            return zlib.decompressobj(32 + zlib.MAX_WBITS)  # gzip, or zlib sent under the gzip name
        return zlib.decompressobj(-zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS)

    def _count(self, piece: bytes) -> bytes:
        self.decoded += len(piece)
        if self.decoded > self.limit:
            raise _too_large(self.limit)
        return piece

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of one chunk of raw body; raises FetchError past the cap or on broken data."""
        inflater = self._inflater
        if inflater is None:
            if data:
                yield self._count(data)
            return
        while data:
            room = min(self.STEP, self.limit - self.decoded + 1)
            try:
                piece = inflater.decompress(data, room)
            except zlib.error as exc:
                if self.coding in _DEFLATE and not self._raw_deflate and self.decoded == 0:
                    # "deflate" is meant to be zlib-wrapped; some servers send raw deflate instead.
                    self._raw_deflate = True
                    self._inflater = inflater = self._inflater_for(self.coding)
                    continue
                raise FetchError("decoding", "the page's compression is broken") from exc
            data = inflater.unconsumed_tail
            if inflater.eof:
                rest = inflater.unused_data
                data = b""
                if self.coding in _GZIP and rest.startswith(b"\x1f\x8b"):
                    # Another gzip member (allowed by RFC 1952); still under the same running cap.
                    self._inflater = inflater = self._inflater_for(self.coding)
                    data = rest
            if piece:
                yield self._count(piece)

    def finish(self) -> Iterator[bytes]:
        """Whatever zlib still holds once the body has ended (all input was fed, so this is small)."""
        if self._inflater is not None and not self._inflater.eof:
            try:
                piece = self._inflater.flush()
            except zlib.error as exc:
                raise FetchError("decoding", "the page's compression is broken") from exc
            if piece:
                yield self._count(piece)


def _read_body(
    url: str,
    final_url: str,
    response: httpx.Response,
    policy: FetchPolicy,
    remaining: Callable[[], float],
    started: float,
) -> FetchedPage:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in HTML_TYPES:
        raise FetchError("not_html", f"the link is {_describe_type(content_type)}, and only web pages can be read")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise _too_large(policy.max_bytes)
    # Refused before a byte of the body is read: stacked and unknown encodings.
    decoder = ContentDecoder(response.headers.get("content-encoding", ""), policy.max_bytes)
    chunks: list[bytes] = []
    try:
        # iter_raw: the bytes as sent; decoding happens in ContentDecoder, under the cap.
        for raw in response.iter_raw():
            remaining()
            chunks.extend(decoder.feed(raw))
        chunks.extend(decoder.finish())
    except httpx.TimeoutException as exc:
        raise FetchError("timeout", "the site took too long to send the page") from exc
    except httpx.HTTPError as exc:
        raise FetchError("connect", "the connection broke while reading the page") from exc
    body = b"".join(chunks)
    sniffed = _sniff_not_html(body[:16])
    if sniffed:
        raise FetchError("not_html", f"the link is {sniffed}, and only web pages can be read")
    return FetchedPage(
        url=url,
        final_url=final_url,
        status=response.status_code,
        content_type=content_type or "text/html",
        charset=response.charset_encoding,
        body=body,
        elapsed=time.monotonic() - started,
    )
