"""A local stand-in for Slack's Web API: a real HTTP server that keeps channels, messages, threads and
reactions, answers like Slack (`{"ok": true, ...}` / `{"ok": false, "error": ...}`), records every
call, and can inject the faults the bot must survive (429 with Retry-After, 5xx, slow answers, and a
lost response after the action was performed).

The bot's slack_sdk client points at it through SLACK_API_URL (`api_url`, trailing slash included).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.harness.httpserver import LocalServer, QuietHandler

TEAM_ID = "T0TEST"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"


@dataclass(frozen=True)
class SlackCall:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    time: float


@dataclass
class Fault:
    kind: str  # status | error | delay | lose
    times: int = 1
    status: int = 500
    retry_after: float | None = None
    error: str = ""
    seconds: float = 0.0


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    members: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


def _parse_params(handler: QuietHandler, body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(urlsplit(handler.path).query).items()}
    content_type = handler.headers.get("Content-Type", "")
    if body and "application/json" in content_type:
        params.update(json.loads(body.decode("utf-8")))
    elif body:
        params.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()})
    for key in ("blocks", "metadata", "view", "attachments"):
        if isinstance(params.get(key), str):
            with contextlib.suppress(json.JSONDecodeError):
                params[key] = json.loads(params[key])
    return params


class _SlackHandler(QuietHandler):
    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        self._handle(self.body())

    def _handle(self, body: bytes) -> None:
        owner: SlackStandIn = self.owner
        path = urlsplit(self.path).path
        if path.startswith("/response/"):
            owner._record_response(path, body)
            self.reply(200, b"ok", "text/plain")
            return
        if not path.startswith("/api/"):
            self.reply(404, b"not found", "text/plain")
            return
        method = path[len("/api/"):]
        params = _parse_params(self, body)
        owner._record_call(SlackCall(method, params, dict(self.headers.items()), time.time()))
        fault = owner._take_fault(method)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            payload = {"ok": False, "error": "ratelimited" if fault.status == 429 else "internal_error"}
            self.reply(fault.status, json.dumps(payload).encode(), "application/json", headers)
            return
        if fault is not None and fault.kind == "error":
            self.reply(200, json.dumps({"ok": False, "error": fault.error}).encode(), "application/json")
            return
        answer = owner.dispatch(method, params, self.headers.get("Authorization", ""))
        if fault is not None and fault.kind == "lose":
            # The action happened; the client never hears about it.
            self.close_connection = True
            return
        self.reply(200, json.dumps(answer).encode(), "application/json; charset=utf-8")


class SlackStandIn(LocalServer):
    handler_class = _SlackHandler

    def __init__(self) -> None:
        super().__init__()
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self.calls: list[SlackCall] = []
        self.responses: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.home_views: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._clock = int(time.time())
        self._counter = 0

    # -- set-up ---------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base}/response/{name}"

    def add_channel(self, channel_id: str, name: str, is_private: bool = False,
                    members: list[str] | None = None) -> None:
        with self._lock:
            self.channels[channel_id] = Channel(channel_id, name, is_private, [*(members or []), BOT_USER_ID])

    def add_user(self, user_id: str, name: str, real_name: str = "", tz: str = "UTC", is_bot: bool = False) -> None:
        with self._lock:
            self.users[user_id] = {"id": user_id, "team_id": TEAM_ID, "name": name, "real_name": real_name or name,
                                   "tz": tz, "is_bot": is_bot, "profile": {"display_name": name,
                                                                           "real_name": real_name or name}}

    def add_usergroup(self, group_id: str, handle: str, users: list[str]) -> None:
        with self._lock:
            self.usergroups[group_id] = {"id": group_id, "handle": handle, "users": list(users)}

    # -- faults ---------------------------------------------------------------------------------

    def fail_next(self, method: str, status: int = 429, retry_after: float | None = 1, times: int = 1) -> None:
        self._add_fault(method, Fault("status", times=times, status=status,
                                      retry_after=retry_after if status == 429 else None))

    def error_next(self, method: str, error: str, times: int = 1) -> None:
        self._add_fault(method, Fault("error", times=times, error=error))

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        self._add_fault(method, Fault("delay", times=times, seconds=seconds))

    def lose_response_next(self, method: str, times: int = 1) -> None:
        self._add_fault(method, Fault("lose", times=times))

    def _add_fault(self, method: str, fault: Fault) -> None:
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    # -- recording ------------------------------------------------------------------------------

    def _record_call(self, call: SlackCall) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _record_response(self, path: str, body: bytes) -> None:
        try:
            payload = json.loads(body.decode("utf-8") or "{}")
        except json.JSONDecodeError:
            payload = {"raw": body.decode("utf-8", "replace")}
        with self._changed:
            self.responses.append({"path": path, **payload})
            self._changed.notify_all()

    def calls_to(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, message: str = "") -> Any:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    methods = [c.method for c in self.calls]
                    raise AssertionError(f"timed out waiting {message or 'for Slack calls'}; calls so far: {methods}")
                self._changed.wait(timeout=min(left, 0.05))

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[SlackCall]:
        return self.wait_for(lambda: len(self.calls_to(method)) >= count and self.calls_to(method), timeout,
                             f"for {count} {method} calls")

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message in the channel, thread replies included, in posting order (copies)."""
        with self._lock:
            return [json.loads(json.dumps(m)) for m in self.channels[channel].messages] if channel in self.channels \
                else []

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(channel) if m["ts"] == ts or m.get("thread_ts") == ts]

    # -- human actions --------------------------------------------------------------------------

    def _next_ts(self) -> str:
        self._counter += 1
        return f"{self._clock + self._counter // 10_000}.{self._counter % 10_000 * 100:06d}"

    def post_human_message(self, channel: str, text: str, user: str, thread_ts: str | None = None) -> str:
        with self._changed:
            ts = self._next_ts()
            message = {"type": "message", "ts": ts, "user": user, "text": text, "team": TEAM_ID}
            if thread_ts:
                message["thread_ts"] = thread_ts
            self._channel(channel).messages.append(message)
            self._changed.notify_all()
            return ts

    def add_reaction(self, channel: str, ts: str, name: str, user: str) -> None:
        with self._changed:
            message = self._find(channel, ts)
            assert message is not None, f"no message {ts} in {channel}"
            self._react(message, name, user)
            self._changed.notify_all()

    def remove_reaction(self, channel: str, ts: str, name: str, user: str) -> None:
        with self._changed:
            message = self._find(channel, ts)
            assert message is not None, f"no message {ts} in {channel}"
            self._unreact(message, name, user)
            self._changed.notify_all()

    # -- state helpers --------------------------------------------------------------------------

    def _channel(self, channel: str) -> Channel:
        if channel not in self.channels:
            self.channels[channel] = Channel(channel, channel.lower(), members=[BOT_USER_ID])
        return self.channels[channel]

    def _find(self, channel: str, ts: str) -> dict[str, Any] | None:
        found = self.channels.get(channel)
        return next((m for m in found.messages if m["ts"] == ts), None) if found else None

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
        return True

    # -- the Web API ----------------------------------------------------------------------------

    def dispatch(self, method: str, params: dict[str, Any], authorization: str) -> dict[str, Any]:
        token = authorization.removeprefix("Bearer ").strip() or str(params.get("token") or "")
        if not token:
            return {"ok": False, "error": "not_authed"}
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        with self._changed:
            answer = handler(params)
            self._changed.notify_all()
        return answer

    def api_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://test.slack.com/", "team": "Test Newsroom", "user": "factcheck",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        if BOT_USER_ID not in self.channels[channel].members:
            return {"ok": False, "error": "not_in_channel"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        message: dict[str, Any] = {"type": "message", "ts": ts, "user": BOT_USER_ID, "bot_id": BOT_ID,
                                   "text": params.get("text", ""), "blocks": params.get("blocks") or [],
                                   "team": TEAM_ID}
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        self.channels[channel].messages.append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(str(params.get("channel", "")), str(params.get("ts", "")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message.get("bot_id") != BOT_ID:
            return {"ok": False, "error": "cant_update_message"}
        for key in ("text", "blocks", "metadata"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {"ok": True, "channel": params["channel"], "ts": params["ts"], "text": message.get("text", "")}

    def api_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(params.get("channel", "")))
        message = self._find(str(params.get("channel", "")), str(params.get("ts", "")))
        if channel is None or message is None:
            return {"ok": False, "error": "message_not_found"}
        channel.messages.remove(message)
        return {"ok": True, "channel": channel.id, "ts": message["ts"]}

    def api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if params.get("user") not in channel.members:
            return {"ok": False, "error": "user_not_in_channel"}
        self.ephemerals.append(dict(params))
        return {"ok": True, "message_ts": self._next_ts()}

    def api_chat_getPermalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel", "")), str(params.get("message_ts", ""))
        message = self._find(channel, ts)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        link = f"https://test.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        if message.get("thread_ts") and message["thread_ts"] != ts:
            link += f"?thread_ts={message['thread_ts']}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": link}

    def api_reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(str(params.get("channel", "")), str(params.get("timestamp", "")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if not self._react(message, str(params.get("name", "")), BOT_USER_ID):
            return {"ok": False, "error": "already_reacted"}
        return {"ok": True}

    def api_reactions_remove(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(str(params.get("channel", "")), str(params.get("timestamp", "")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if not self._unreact(message, str(params.get("name", "")), BOT_USER_ID):
            return {"ok": False, "error": "no_reaction"}
        return {"ok": True}

    def api_reactions_get(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        message = self._find(channel, str(params.get("timestamp", "")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "type": "message", "channel": channel, "message": json.loads(json.dumps(message))}

    def _window(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        oldest, latest = float(params.get("oldest") or 0), float(params.get("latest") or 1e12)
        limit = int(params.get("limit") or 100)
        include_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        selected = [m for m in messages if oldest <= float(m["ts"]) <= latest]
        offset = int(params.get("cursor") or 0)
        page = selected[offset:offset + limit]
        result = []
        for message in page:
            copy = json.loads(json.dumps(message))
            if not include_metadata:
                copy.pop("metadata", None)
            result.append(copy)
        more = offset + limit < len(selected)
        return {"ok": True, "messages": result, "has_more": more,
                "response_metadata": {"next_cursor": str(offset + limit) if more else ""}}

    def api_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        top = [m for m in channel.messages if not m.get("thread_ts") or m["thread_ts"] == m["ts"]]
        return self._window(list(reversed(top)), params)

    def api_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        ts = str(params.get("ts", ""))
        if self._find(channel.id, ts) is None:
            return {"ok": False, "error": "thread_not_found"}
        thread = [m for m in channel.messages if m["ts"] == ts or m.get("thread_ts") == ts]
        return self._window(thread, params)

    def api_conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": {"id": channel.id, "name": channel.name, "is_private": channel.is_private,
                                        "is_channel": not channel.is_private, "is_group": channel.is_private,
                                        "is_member": BOT_USER_ID in channel.members,
                                        "num_members": len(channel.members)}}

    def api_conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "members": list(channel.members), "response_metadata": {"next_cursor": ""}}

    def api_conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        listed = [{"id": c.id, "name": c.name, "is_private": c.is_private} for c in self.channels.values()]
        return {"ok": True, "channels": listed, "response_metadata": {"next_cursor": ""}}

    def api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user", "")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def api_usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self.usergroups.get(str(params.get("usergroup", "")))
        return {"ok": True, "users": list(group["users"])} if group else {"ok": False, "error": "no_such_subteam"}

    def api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("user_id", ""))
        view = params.get("view")
        if not user or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        self.home_views[user] = view
        return {"ok": True, "view": {"id": f"V{len(self.home_views):06d}", **view}}

    def api_team_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "team": {"id": TEAM_ID, "name": "Test Newsroom", "domain": "test"}}

    def api_apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
