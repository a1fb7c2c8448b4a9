"""A local stand-in for Slack's Web API: a real HTTP server that keeps channels, messages, threads and
reactions, answers like Slack (HTTP 200 with `{"ok": true, ...}` / `{"ok": false, "error": ...}`),
records every call, and can inject the faults the bot must survive (429 with Retry-After, 5xx, slow
answers, `ok: false` errors, and a lost response after the action was performed).

Why a stand-in and not a mock: the bot's real slack_sdk WebClient (its urllib transport, retry
handlers, JSON/form encoding) talks to it over a socket, so the tests exercise what runs in production.
Point the client at `api_url` (`http://127.0.0.1:PORT/api/`; the trailing slash matters to slack_sdk).

Behaviour copied from Slack on purpose (see api.slack.com method pages):
* message `ts` strings are unique and increase ("1764000000.000100"); the bot's own messages carry
  `bot_id` B0BOT and `user` U0BOT; thread parents gain `thread_ts`, `reply_count`, `reply_users`,
  `latest_reply`; replies carry `parent_user_id`; `reply_broadcast` replies also show in the channel;
* `conversations.history` is newest first, `conversations.replies` oldest first with the parent always
  first; `oldest`/`latest` are exclusive unless `inclusive=true`; cursors are opaque; `metadata` is
  returned only with `include_all_metadata=true`;
* private channels the bot is not in are `channel_not_found`; public ones are `not_in_channel`;
* deleting a thread parent that has replies leaves a `tombstone`.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.harness.block_kit import VIEW_BLOCKS, block_errors, refusal
from tests.harness.httpserver import LocalServer, QuietHandler
from tests.harness.rich_text import rich_text_for

TEAM_ID = "T0TEST"
TEAM_DOMAIN = "test"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0TEST"

_UNSET: Any = object()
_JSON_FIELDS = ("blocks", "metadata", "view", "attachments")
_req_ids = itertools.count(1)


@dataclass(frozen=True)
class SlackCall:
    """One Web API request as the stand-in received it (params merged from query string and body)."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    time: float
    http_method: str = "POST"
    token: str = ""


@dataclass
class Fault:
    """A scripted misbehaviour for the next `times` calls of a method."""

    kind: str  # status | error | delay | lose | trickle | oversize
    times: int = 1
    status: int = 500
    retry_after: float | None = None
    error: str = ""
    seconds: float = 0.0
    act_first: bool = False
    body: dict[str, Any] | None = None
    size: int = 0  # oversize: bytes of the answer
    headers_too: bool = False  # trickle: the status line and headers too, not only the body


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    members: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    is_archived: bool = False
    is_im: bool = False
    created: int = field(default_factory=lambda: int(time.time()) - 86_400)


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes")


def _encode_cursor(value: str) -> str:
    return base64.b64encode(f"next:{value}".encode()).decode()


def _decode_cursor(cursor: str) -> str | None:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return text[len("next:") :] if text.startswith("next:") else None


def _parse_params(handler: QuietHandler, body: bytes) -> tuple[dict[str, Any], str]:
    """Query string + body (form or JSON), and the token as Slack would see it (None-safe)."""
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(urlsplit(handler.path).query).items()}
    content_type = handler.headers.get("Content-Type", "")
    body_token = ""
    if body and "application/json" in content_type:
        loaded = json.loads(body.decode("utf-8"))
        if not isinstance(loaded, dict):
            raise ValueError("JSON body is not an object")
        # Slack ignores a token inside a JSON body: JSON requests must authenticate with the header.
        loaded.pop("token", None)
        params.update(loaded)
    elif body:
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        body_token = form.get("token", "")
        params.update(form)
    for key in _JSON_FIELDS:
        if isinstance(params.get(key), str) and params[key]:
            with contextlib.suppress(json.JSONDecodeError):
                params[key] = json.loads(params[key])
    authorization = handler.headers.get("Authorization", "")
    token = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else ""
    token = token or body_token or str(params.get("token") or "")
    return params, token


class _SlackHandler(QuietHandler):
    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        self._handle(self.body())

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        all_headers = {"X-Slack-Req-Id": f"req{next(_req_ids):06d}", **(headers or {})}
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.reply(status, json.dumps(payload).encode(), "application/json; charset=utf-8", all_headers)

    def _handle(self, body: bytes) -> None:
        owner: SlackStandIn = self.owner
        path = urlsplit(self.path).path
        if path.startswith("/response/"):
            fault = owner._take_fault("response_url")  # delay_next("response_url", seconds)
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.seconds)
            owner._record_response(path, body, self.recorded_headers())
            self.reply(200, b"ok", "text/plain")
            return
        if not path.startswith("/api/"):
            self.reply(404, b"not found", "text/plain")
            return
        method = path[len("/api/") :]
        try:
            params, token = _parse_params(self, body)
        except (ValueError, UnicodeDecodeError):
            owner._record_call(
                SlackCall(
                    method,
                    {"_raw": body.decode("utf-8", "replace")},
                    self.recorded_headers(),
                    time.time(),
                    self.command,
                    "",
                )
            )
            self._json(200, {"ok": False, "error": "invalid_json"})
            return
        owner._record_call(
            SlackCall(method, params, self.recorded_headers(), time.time(), self.command, token)
        )
        fault = owner._take_fault(method)
        if fault is not None and fault.kind == "delay" and not fault.act_first:
            time.sleep(fault.seconds)
        if fault is not None and fault.kind == "status":
            if fault.act_first:
                owner.dispatch(method, params, token)  # Slack acted, then failed to answer
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            self._json(
                fault.status, fault.body or {"ok": False, "error": _status_error(fault.status)}, headers
            )
            return
        if fault is not None and fault.kind == "error":
            self._json(200, fault.body or {"ok": False, "error": fault.error})
            return
        answer = owner.dispatch(method, params, token)
        if fault is not None and fault.kind == "delay" and fault.act_first:
            time.sleep(fault.seconds)
        if fault is not None and fault.kind == "lose":
            # The action happened; the client never hears about it.
            self.drop()
            return
        if fault is not None and fault.kind == "trickle":
            self._trickle(answer, fault)
            return
        if fault is not None and fault.kind == "oversize":
            padding = max(0, fault.size - len(json.dumps(answer)) - 20)
            self._json(200, {**answer, "padding": "x" * padding})
            return
        self._json(200, answer)

    def _trickle(self, answer: dict[str, Any], fault: Fault) -> None:
        """The answer one byte every `fault.seconds` (after the action: Slack did it, the answer is slow)."""
        body = json.dumps(answer).encode()
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        self.close_connection = True
        with contextlib.suppress(OSError):
            if not fault.headers_too:
                self.wfile.write(head)
                self.wfile.flush()
                head = b""
            for byte in head + body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(fault.seconds)


def _status_error(status: int) -> str:
    return {
        429: "ratelimited",
        500: "internal_error",
        502: "bad_gateway",
        503: "service_unavailable",
        504: "gateway_timeout",
    }.get(status, "fatal_error")


class SlackStandIn(LocalServer):
    """Slack's Web API on 127.0.0.1, with state (channels, users, usergroups, messages) and fault injection.

    State is guarded by one lock; every change notifies `wait_for` waiters, so tests wait for what the
    bot does instead of sleeping.
    """

    handler_class = _SlackHandler

    def __init__(
        self,
        clock: int | None = None,
        *,
        team_id: str = TEAM_ID,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        valid_tokens: set[str] | None = None,
    ) -> None:
        super().__init__()
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        # None: any non-empty token is accepted; otherwise others get `invalid_auth`.
        self.valid_tokens = valid_tokens
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self.calls: list[SlackCall] = []
        self.responses: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.deleted: list[dict[str, Any]] = []
        self.home_views: dict[str, dict[str, Any]] = {}
        # Modals opened with views.open, in order (the view as Slack holds it: id, state, ...).
        self.opened_views: list[dict[str, Any]] = []
        self._used_triggers: set[str] = set()
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._clock = int(time.time()) if clock is None else clock
        self._counter = 0

    # -- set-up ---------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """What to give slack_sdk as `base_url` (trailing slash included, as slack_sdk requires)."""
        return f"{self.base}/api/"

    def response_url(self, name: str = "cmd") -> str:
        """A response_url (as in slash commands and actions) whose POSTs land in `responses`."""
        return f"{self.base}/response/{name}"

    def add_channel(
        self,
        channel_id: str,
        name: str,
        is_private: bool = False,
        members: list[str] | None = None,
        *,
        bot_member: bool = True,
        is_archived: bool = False,
    ) -> Channel:
        """A channel with these human members; the bot is a member unless `bot_member=False`."""
        with self._changed:
            people = list(members or [])
            if bot_member and self.bot_user_id not in people:
                people.append(self.bot_user_id)
            channel = Channel(channel_id, name, is_private, people, is_archived=is_archived)
            self.channels[channel_id] = channel
            self._changed.notify_all()
            return channel

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str = "",
        tz: str = "UTC",
        is_bot: bool = False,
        *,
        tz_offset: int = 0,
        deleted: bool = False,
        email: str | None = None,
    ) -> dict[str, Any]:
        with self._changed:
            real = real_name or name
            profile = {
                "display_name": name,
                "display_name_normalized": name,
                "real_name": real,
                "real_name_normalized": real,
                "team": self.team_id,
                "image_48": f"https://avatars.test/{user_id}_48.png",
            }
            if email:
                profile["email"] = email
            self.users[user_id] = {
                "id": user_id,
                "team_id": self.team_id,
                "name": name,
                "real_name": real,
                "deleted": deleted,
                "tz": tz,
                "tz_label": tz,
                "tz_offset": tz_offset,
                "is_bot": is_bot,
                "is_admin": False,
                "is_app_user": False,
                "updated": self._clock,
                "profile": profile,
            }
            return self.users[user_id]

    def add_usergroup(self, group_id: str, handle: str, users: list[str]) -> None:
        with self._changed:
            self.usergroups[group_id] = {
                "id": group_id,
                "team_id": self.team_id,
                "handle": handle,
                "name": handle,
                "users": list(users),
                "user_count": len(users),
            }

    # -- faults ---------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: float | None = _UNSET,
        times: int = 1,
        body: dict[str, Any] | None = None,
        *,
        act_first: bool = False,
    ) -> None:
        """Answer the next `times` calls with an HTTP error and do nothing (like Slack's 429 / 5xx).

        With `act_first=True` the action happens first (a message is posted) and only then the error
        is answered, as Slack sometimes does with a 500 or 503.
        429 carries `Retry-After: 1` unless told otherwise; other statuses carry it only when given.
        `method="*"` matches any method.
        """
        if retry_after is _UNSET:
            retry_after = 1 if status == 429 else None
        self._add_fault(
            method,
            Fault("status", times=times, status=status, retry_after=retry_after, body=body, act_first=act_first),
        )

    def error_next(
        self, method: str, error: str = "ratelimited", times: int = 1, body: dict[str, Any] | None = None
    ) -> None:
        """Answer HTTP 200 `{"ok": false, "error": error}` without acting (e.g. `channel_not_found`)."""
        self._add_fault(method, Fault("error", times=times, error=error, body=body))

    def delay_next(self, method: str, seconds: float, times: int = 1, *, act_first: bool = False) -> None:
        """Answer slowly. By default the wait comes before the action (the message appears late, even
        after the client gave up); with `act_first=True` the action happens at once and only the answer
        is late."""
        self._add_fault(method, Fault("delay", times=times, seconds=seconds, act_first=act_first))

    def trickle_next(self, method: str, seconds: float = 0.1, times: int = 1, *, headers_too: bool = False) -> None:
        """Act, then send the answer one byte every `seconds` (with `headers_too`, the status line and
        headers as well): each read gets a byte in time, so only a total deadline ends the call."""
        self._add_fault(method, Fault("trickle", times=times, seconds=seconds, headers_too=headers_too))

    def oversize_next(self, method: str, size: int, times: int = 1) -> None:
        """Act, then answer a valid but `size`-byte JSON body (padded with a long field)."""
        self._add_fault(method, Fault("oversize", times=times, size=size))

    def lose_response_next(self, method: str, times: int = 1) -> None:
        """Perform the action, then hang up without an HTTP response (a lost answer, so clients retry)."""
        self._add_fault(method, Fault("lose", times=times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _add_fault(self, method: str, fault: Fault) -> None:
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for key in (method, "*"):
                queue = self._faults.get(key)
                if queue:
                    fault = queue[0]
                    fault.times -= 1
                    if fault.times <= 0:
                        queue.pop(0)
                    return fault
            return None

    # -- recording ------------------------------------------------------------------------------

    def _record_call(self, call: SlackCall) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _record_response(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        text = body.decode("utf-8", "replace")
        try:
            payload = json.loads(text or "{}")
        except json.JSONDecodeError:
            form = parse_qs(text)
            payload = json.loads(form["payload"][-1]) if "payload" in form else {"raw": text}
        if not isinstance(payload, dict):
            payload = {"raw": payload}
        with self._changed:
            self.responses.append({"path": path, **payload, "_headers": headers})
            self._changed.notify_all()

    def calls_to(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def reset_calls(self) -> None:
        """Forget recorded calls (state and queued faults stay)."""
        with self._lock:
            self.calls.clear()

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, message: str = "") -> Any:
        """Wait until `predicate()` is truthy (re-checked on every change and every 50 ms); return its value.

        Raises AssertionError on timeout, listing the calls seen, so a failure says what did happen.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = ", ".join(c.method for c in self.calls) or "none"
                    raise AssertionError(
                        f"timed out after {timeout:g}s waiting "
                        f"{message or 'for the condition'}; Slack calls so far: {seen}"
                    )
                self._changed.wait(timeout=min(left, 0.05))

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[SlackCall]:
        """Wait until at least `count` calls to `method` arrived; returns all of them."""

        def enough() -> list[SlackCall]:
            found = self.calls_to(method)
            return found if len(found) >= count else []

        try:
            return self.wait_for(enough, timeout, f"for {count} {method} call(s)")
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}; {method} calls: {len(self.calls_to(method))} "
                f"with params {[c.params for c in self.calls_to(method)]}"
            ) from None

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message in the channel, thread replies included, in posting order (copies)."""
        with self._lock:
            found = self.channels.get(channel)
            return copy.deepcopy(found.messages) if found else []

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One message (a copy), or None."""
        with self._lock:
            found = self._find(channel, ts)
            return copy.deepcopy(found) if found else None

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The parent and its replies, oldest first (copies)."""
        return [m for m in self.messages(channel) if m["ts"] == ts or m.get("thread_ts") == ts]

    def bot_messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages the bot posted in the channel (threads included)."""
        return [m for m in self.messages(channel) if m.get("bot_id") == self.bot_id]

    # -- human actions (straight into state, no HTTP) -------------------------------------------

    def _next_ts(self) -> str:
        self._counter += 1
        return f"{self._clock + self._counter // 10_000}.{self._counter % 10_000 * 100:06d}"

    def post_human_message(
        self,
        channel: str,
        text: str,
        user: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        """A person posts `text` (with the rich_text block Slack clients send); returns its ts.

        The event is not delivered to the bot: send it with SlackEventSender.message_event(..., ts=ts).
        """
        with self._changed:
            ts = self._next_ts()
            message: dict[str, Any] = {
                "type": "message",
                "ts": ts,
                "user": user,
                "text": text,
                "team": self.team_id,
                "client_msg_id": f"cm-{ts}",
                "blocks": blocks if blocks is not None else rich_text_for(text),
            }
            self._append(self._channel(channel), message, thread_ts, broadcast=False)
            self._changed.notify_all()
            return ts

    def add_reaction(self, channel: str, ts: str, name: str, user: str) -> bool:
        """A person reacts; False when they already had (the event is not delivered to the bot)."""
        with self._changed:
            message = self._find(channel, ts)
            assert message is not None, f"no message {ts} in {channel}"
            changed = self._react(message, name.strip(":"), user)
            self._changed.notify_all()
            return changed

    def remove_reaction(self, channel: str, ts: str, name: str, user: str) -> bool:
        with self._changed:
            message = self._find(channel, ts)
            assert message is not None, f"no message {ts} in {channel}"
            changed = self._unreact(message, name.strip(":"), user)
            self._changed.notify_all()
            return changed

    # -- state helpers (call with the lock held) ------------------------------------------------

    def _channel(self, channel: str) -> Channel:
        if channel not in self.channels:
            self.channels[channel] = Channel(channel, channel.lower(), members=[self.bot_user_id])
        return self.channels[channel]

    def _resolve(self, name: str) -> Channel | None:
        """Find a channel by ID or name (`#newsroom`); a user ID opens the DM with the bot, like Slack."""
        if name in self.channels:
            return self.channels[name]
        bare = name.lstrip("#")
        for channel in self.channels.values():
            if channel.name == bare and not channel.is_im:
                return channel
        if name in self.users:
            dm = "D" + name[1:]
            if dm not in self.channels:
                self.channels[dm] = Channel(dm, dm, True, [name, self.bot_user_id], is_im=True)
            return self.channels[dm]
        return None

    def _visible(self, name: str) -> tuple[Channel | None, str | None]:
        """The channel if the bot may see it, else the error Slack gives (private ones just don't exist)."""
        channel = self._resolve(name)
        if channel is None or (channel.is_private and self.bot_user_id not in channel.members):
            return None, "channel_not_found"
        return channel, None

    def _find(self, channel: str, ts: str) -> dict[str, Any] | None:
        found = self.channels.get(channel)
        return next((m for m in found.messages if m["ts"] == ts), None) if found else None

    def _append(
        self, channel: Channel, message: dict[str, Any], thread_ts: str | None, broadcast: bool
    ) -> None:
        if thread_ts:
            parent = self._find(channel.id, thread_ts)
            if parent is not None and parent.get("thread_ts") and parent["thread_ts"] != parent["ts"]:
                thread_ts = parent["thread_ts"]  # a reply's ts given: Slack threads under the parent
                parent = self._find(channel.id, thread_ts)
            message["thread_ts"] = thread_ts
            if parent is not None:
                message["parent_user_id"] = parent.get("user", "")
                parent["thread_ts"] = parent["ts"]
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                author = message.get("user") or message.get("bot_id", "")
                users = parent.setdefault("reply_users", [])
                if author not in users:
                    users.append(author)
                parent["reply_users_count"] = len(users)
                parent["latest_reply"] = message["ts"]
            if broadcast:
                message["subtype"] = "thread_broadcast"
        channel.messages.append(message)

    @staticmethod
    def _react(message: dict[str, Any], name: str, user: str) -> bool:
        reactions = message.setdefault("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            reactions.append(entry)
        if user in entry["users"]:
            return False
        entry["users"].append(user)
        entry["count"] = len(entry["users"])
        return True

    @staticmethod
    def _unreact(message: dict[str, Any], name: str, user: str) -> bool:
        reactions = message.get("reactions") or []
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None or user not in entry["users"]:
            return False
        entry["users"].remove(user)
        entry["count"] = len(entry["users"])
        if not entry["users"]:
            reactions.remove(entry)
        if not reactions:
            message.pop("reactions", None)
        return True

    def _public(self, message: dict[str, Any], with_metadata: bool) -> dict[str, Any]:
        result = copy.deepcopy(message)
        if not with_metadata:
            result.pop("metadata", None)
        return result

    def _bot_profile(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "app_id": APP_ID,
            "name": "factcheck",
            "deleted": False,
            "team_id": self.team_id,
            "updated": self._clock,
            "icons": {"image_48": "https://avatars.test/bot_48.png"},
        }

    # -- the Web API ----------------------------------------------------------------------------

    def dispatch(self, method: str, params: dict[str, Any], token: str) -> dict[str, Any]:
        """Run one Web API method against the state (also usable directly, without HTTP).

        `token` may also be an `Authorization` header value (`Bearer xoxb-...`), as older callers pass.
        """
        token = token.removeprefix("Bearer ").strip()
        if not token:
            return {"ok": False, "error": "not_authed"}
        if self.valid_tokens is not None and token not in self.valid_tokens:
            return {"ok": False, "error": "invalid_auth"}
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method", "req_method": method}
        with self._changed:
            answer = handler(params)
            self._changed.notify_all()
        return answer

    def api_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Test Newsroom",
            "user": "factcheck",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._visible(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": error}
        if channel.is_archived:
            return {"ok": False, "error": "is_archived"}
        if self.bot_user_id not in channel.members:
            return {"ok": False, "error": "not_in_channel"}
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            return {"ok": False, "error": "no_text"}
        refused = refusal(params)
        if refused:
            return refused
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": APP_ID,
            "text": str(params.get("text") or ""),
            "blocks": params.get("blocks") or [],
            "team": self.team_id,
            "bot_profile": self._bot_profile(),
        }
        if params.get("attachments"):
            message["attachments"] = params["attachments"]
        if isinstance(params.get("metadata"), dict):
            message["metadata"] = params["metadata"]
        thread_ts = str(params["thread_ts"]) if params.get("thread_ts") else None
        self._append(
            channel, message, thread_ts, broadcast=bool(thread_ts) and _truthy(params.get("reply_broadcast"))
        )
        return {"ok": True, "channel": channel.id, "ts": ts, "message": copy.deepcopy(message)}

    def api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._visible(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": error}
        message = self._find(channel.id, str(params.get("ts", "")))
        if message is None or message.get("subtype") == "tombstone":
            return {"ok": False, "error": "message_not_found"}
        if message.get("bot_id") != self.bot_id:
            return {"ok": False, "error": "cant_update_message"}
        refused = refusal(params)
        if refused:
            return refused
        for key in ("text", "blocks", "metadata", "attachments"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": self.bot_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message["ts"],
            "text": message.get("text", ""),
            "message": copy.deepcopy(message),
        }

    def api_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._visible(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": error}
        message = self._find(channel.id, str(params.get("ts", "")))
        if message is None or message.get("subtype") == "tombstone":
            return {"ok": False, "error": "message_not_found"}
        if message.get("bot_id") != self.bot_id:
            return {"ok": False, "error": "cant_delete_message"}
        self.deleted.append({"channel": channel.id, **copy.deepcopy(message)})
        ts = message["ts"]
        if message.get("reply_count"):
            # A parent with replies stays as a tombstone so the thread remains readable.
            keep = {
                k: message[k]
                for k in (
                    "ts",
                    "thread_ts",
                    "reply_count",
                    "reply_users",
                    "reply_users_count",
                    "latest_reply",
                )
                if k in message
            }
            message.clear()
            message.update(
                {
                    "type": "message",
                    "subtype": "tombstone",
                    "text": "This message was deleted.",
                    "user": "USLACKBOT",
                    "hidden": True,
                    **keep,
                }
            )
        else:
            channel.messages.remove(message)
            parent_ts = message.get("thread_ts")
            parent = self._find(channel.id, parent_ts) if parent_ts and parent_ts != ts else None
            if parent is not None:
                replies = [
                    m for m in channel.messages if m.get("thread_ts") == parent_ts and m["ts"] != parent_ts
                ]
                parent["reply_count"] = len(replies)
                parent["latest_reply"] = replies[-1]["ts"] if replies else parent["ts"]
        return {"ok": True, "channel": channel.id, "ts": ts}

    def api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._visible(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": error}
        if params.get("user") not in channel.members:
            return {"ok": False, "error": "user_not_in_channel"}
        refused = refusal(params)
        if refused:
            return refused
        ts = self._next_ts()
        self.ephemerals.append({**params, "channel": channel.id, "message_ts": ts})
        return {"ok": True, "message_ts": ts}

    def api_chat_getPermalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._visible(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": error}
        ts = str(params.get("message_ts", ""))
        message = self._find(channel.id, ts)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
        if message.get("thread_ts") and message["thread_ts"] != ts:
            link += f"?thread_ts={message['thread_ts']}&cid={channel.id}"
        return {"ok": True, "channel": channel.id, "permalink": link}

    def _reaction_target(self, params: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        channel, error = self._visible(str(params.get("channel", "")))
        if channel is None:
            return None, {"ok": False, "error": error}
        if not params.get("timestamp"):
            return None, {"ok": False, "error": "no_item_specified"}
        message = self._find(channel.id, str(params["timestamp"]))
        if message is None:
            return None, {"ok": False, "error": "message_not_found"}
        return message, None

    def api_reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        message, error = self._reaction_target(params)
        if message is None:
            return error or {}
        name = str(params.get("name", "")).strip(":")
        if not name:
            return {"ok": False, "error": "invalid_name"}
        if not self._react(message, name, self.bot_user_id):
            return {"ok": False, "error": "already_reacted"}
        return {"ok": True}

    def api_reactions_remove(self, params: dict[str, Any]) -> dict[str, Any]:
        message, error = self._reaction_target(params)
        if message is None:
            return error or {}
        if not self._unreact(message, str(params.get("name", "")).strip(":"), self.bot_user_id):
            return {"ok": False, "error": "no_reaction"}
        return {"ok": True}

    def api_reactions_get(self, params: dict[str, Any]) -> dict[str, Any]:
        message, error = self._reaction_target(params)
        if message is None:
            return error or {}
        channel = str(params["channel"])
        channel = self._resolve(channel).id  # type: ignore[union-attr]
        found = self._public(message, with_metadata=False)
        found["permalink"] = self.api_chat_getPermalink({"channel": channel, "message_ts": message["ts"]})[
            "permalink"
        ]
        return {"ok": True, "type": "message", "channel": channel, "message": found}

    def _page(
        self, messages: list[dict[str, Any]], params: dict[str, Any], newest_first: bool, default_limit: int
    ) -> dict[str, Any] | list[dict[str, Any]]:
        """Filter by oldest/latest (exclusive unless inclusive), then one page; a dict means an error."""
        try:
            oldest = float(params.get("oldest") or 0)
            latest = float(params.get("latest") or 1e12)
            limit = int(params.get("limit") or default_limit)
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        inclusive = _truthy(params.get("inclusive", ""))
        selected = [
            m
            for m in messages
            if (oldest <= float(m["ts"]) if inclusive else oldest < float(m["ts"]))
            and (float(m["ts"]) <= latest if inclusive else float(m["ts"]) < latest)
        ]
        if newest_first:
            selected.reverse()
        if params.get("cursor"):
            start = _decode_cursor(str(params["cursor"]))
            if start is None:
                return {"ok": False, "error": "invalid_cursor"}
            selected = [
                m
                for m in selected
                if (float(m["ts"]) <= float(start) if newest_first else float(m["ts"]) >= float(start))
            ]
        return selected[: max(limit, 1) + 1]

    def api_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._visible(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": error}
        if self.bot_user_id not in channel.members:
            return {"ok": False, "error": "not_in_channel"}
        top = [
            m
            for m in channel.messages
            if not m.get("thread_ts") or m["thread_ts"] == m["ts"] or m.get("subtype") == "thread_broadcast"
        ]
        page = self._page(top, params, newest_first=True, default_limit=100)
        if isinstance(page, dict):
            return page
        limit = max(int(params.get("limit") or 100), 1)
        more = len(page) > limit
        with_metadata = _truthy(params.get("include_all_metadata", ""))
        return {
            "ok": True,
            "messages": [self._public(m, with_metadata) for m in page[:limit]],
            "has_more": more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": _encode_cursor(page[limit]["ts"]) if more else ""},
        }

    def api_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._visible(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": error}
        if self.bot_user_id not in channel.members:
            return {"ok": False, "error": "not_in_channel"}
        ts = str(params.get("ts", ""))
        found = self._find(channel.id, ts)
        if found is None:
            return {"ok": False, "error": "thread_not_found"}
        root = found.get("thread_ts") or ts
        parent = self._find(channel.id, root) or found
        replies = [m for m in channel.messages if m.get("thread_ts") == root and m["ts"] != root]
        page = self._page(replies, params, newest_first=False, default_limit=1000)
        if isinstance(page, dict):
            return page
        limit = max(int(params.get("limit") or 1000), 1)
        more = len(page) > limit
        with_metadata = _truthy(params.get("include_all_metadata", ""))
        # Slack puts the parent first on every page, whatever the window.
        messages = [self._public(parent, with_metadata)] + [
            self._public(m, with_metadata) for m in page[:limit]
        ]
        return {
            "ok": True,
            "messages": messages,
            "has_more": more,
            "response_metadata": {"next_cursor": _encode_cursor(page[limit]["ts"]) if more else ""},
        }

    def _channel_object(self, channel: Channel, with_count: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": channel.id,
            "name": channel.name,
            "name_normalized": channel.name,
            "is_channel": not channel.is_private and not channel.is_im,
            "is_group": channel.is_private and not channel.is_im,
            "is_im": channel.is_im,
            "is_mpim": False,
            "is_private": channel.is_private,
            "is_archived": channel.is_archived,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": self.bot_user_id in channel.members,
            "created": channel.created,
            "creator": next((m for m in channel.members if m != self.bot_user_id), ""),
            "context_team_id": self.team_id,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }
        if channel.is_im:
            data["user"] = next((m for m in channel.members if m != self.bot_user_id), "")
        if with_count:
            data["num_members"] = len(channel.members)
        return data

    def api_conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._visible(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": error}
        # num_members is documented as opt-in; kept always on, as the stand-in always did.
        return {"ok": True, "channel": self._channel_object(channel, with_count=True)}

    def _offset_page(
        self, items: list[Any], params: dict[str, Any], default_limit: int
    ) -> tuple[list[Any], str] | dict[str, Any]:
        offset = 0
        if params.get("cursor"):
            decoded = _decode_cursor(str(params["cursor"]))
            if decoded is None or not decoded.isdigit():
                return {"ok": False, "error": "invalid_cursor"}
            offset = int(decoded)
        limit = max(int(params.get("limit") or default_limit), 1)
        more = offset + limit < len(items)
        return items[offset : offset + limit], _encode_cursor(str(offset + limit)) if more else ""

    def api_conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._visible(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": error}
        page = self._offset_page(list(channel.members), params, 100)
        if isinstance(page, dict):
            return page
        return {"ok": True, "members": page[0], "response_metadata": {"next_cursor": page[1]}}

    def api_conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        types = str(params.get("types") or "public_channel").split(",")
        listed = []
        for channel in self.channels.values():
            kind = "im" if channel.is_im else "private_channel" if channel.is_private else "public_channel"
            if kind not in types or (channel.is_private and self.bot_user_id not in channel.members):
                continue
            if channel.is_archived and _truthy(params.get("exclude_archived", "")):
                continue
            listed.append(self._channel_object(channel, with_count=True))
        page = self._offset_page(listed, params, 100)
        if isinstance(page, dict):
            return page
        return {"ok": True, "channels": page[0], "response_metadata": {"next_cursor": page[1]}}

    def api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user", "")))
        return {"ok": True, "user": copy.deepcopy(user)} if user else {"ok": False, "error": "user_not_found"}

    def api_usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self.usergroups.get(str(params.get("usergroup", "")))
        return (
            {"ok": True, "users": list(group["users"])}
            if group
            else {"ok": False, "error": "no_such_subteam"}
        )

    def api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("user_id", ""))
        view = params.get("view")
        if not user or not isinstance(view, dict) or view.get("type") not in (None, "home"):
            return {"ok": False, "error": "invalid_arguments"}
        if user not in self.users and not user.startswith(("U", "W")):
            return {"ok": False, "error": "user_not_found"}
        errors = block_errors(view.get("blocks", []), VIEW_BLOCKS)
        if errors:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": errors}}
        self.home_views[user] = view
        published = {
            "id": f"V{len(self.home_views):08d}",
            "team_id": self.team_id,
            "type": "home",
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{len(self.home_views):08d}",
            "app_id": APP_ID,
            "bot_id": self.bot_id,
            "external_id": view.get("external_id", ""),
        }
        return {"ok": True, "view": published}

    def api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        """views.open: a trigger_id is needed and works once; the view must be a valid-looking modal
        (title/submit/close at most 24 characters, at most 100 blocks, private_metadata at most 3000)."""
        trigger = str(params.get("trigger_id") or "")
        view = params.get("view")
        if not trigger or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        if trigger in self._used_triggers:
            return {"ok": False, "error": "expired_trigger_id"}
        too_long = any(len(str((view.get(key) or {}).get("text", ""))) > 24 for key in ("title", "submit", "close"))
        blocks = view.get("blocks")
        if (view.get("type") != "modal" or not isinstance(blocks, list) or not blocks or len(blocks) > 100
                or too_long or not (view.get("title") or {}).get("text")
                or len(str(view.get("private_metadata", ""))) > 3000 or len(str(view.get("callback_id", ""))) > 255):
            return {"ok": False, "error": "invalid_arguments"}
        if any(b.get("type") == "input" for b in blocks) and not (view.get("submit") or {}).get("text"):
            return {"ok": False, "error": "invalid_arguments"}
        self._used_triggers.add(trigger)
        opened = {
            "id": f"V{len(self.opened_views) + 1:08d}M",
            "team_id": self.team_id,
            "type": "modal",
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": copy.deepcopy(blocks),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{len(self.opened_views) + 1:08d}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "previous_view_id": None,
            "root_view_id": f"V{len(self.opened_views) + 1:08d}M",
            "app_id": APP_ID,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self.opened_views.append({"trigger_id": trigger, "view": opened})
        return {"ok": True, "view": copy.deepcopy(opened)}

    def api_team_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "team": {
                "id": self.team_id,
                "name": "Test Newsroom",
                "domain": TEAM_DOMAIN,
                "email_domain": "",
                "icon": {"image_default": True},
            },
        }

    def api_apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        # Only for constructing a Socket Mode client; nothing listens at this address.
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket=test-ticket&app_id={APP_ID}"}
