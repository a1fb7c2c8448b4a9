"""Least privilege: the manifest asks for exactly the scopes that the bot's Web API calls and subscribed
events need, no more, no fewer. Every call goes through bot/slack/gateway.py, so its calls are read
from that file; a new call without a known scope fails here until its scope is added to both."""

from __future__ import annotations

import re
from pathlib import Path

from handlers.manifest import MANIFEST, manifest

ROOT = Path(__file__).resolve().parent.parent

# Slack's documented scope for each Web API method the gateway calls (api.slack.com/methods).
SCOPES_FOR_METHOD: dict[str, set[str]] = {
    "auth.test": set(),
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.getPermalink": set(),
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.replies": {"channels:history", "groups:history"},
    "conversations.info": {"channels:read", "groups:read"},
    "conversations.members": {"channels:read", "groups:read"},
    "conversations.list": {"channels:read", "groups:read"},
    "reactions.add": {"reactions:write"},
    "reactions.get": {"reactions:read"},
    "usergroups.users.list": {"usergroups:read"},
    "views.open": set(),
    "views.publish": set(),
    "apps.connections.open": set(),  # app-level token (connections:write), not a bot scope
}
SCOPES_FOR_EVENT: dict[str, set[str]] = {
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "reaction_added": {"reactions:read"},
    "reaction_removed": {"reactions:read"},
    "app_home_opened": set(),
    # Channel events the bot may subscribe to (channel privacy kept current).
    "channel_created": {"channels:read"},
    "channel_rename": {"channels:read"},
    "channel_archive": {"channels:read"},
    "channel_unarchive": {"channels:read"},
    "channel_deleted": {"channels:read"},
    "channel_left": {"channels:read"},
    "member_joined_channel": {"channels:read", "groups:read"},
    "member_left_channel": {"channels:read", "groups:read"},
    "group_archive": {"groups:read"},
    "group_unarchive": {"groups:read"},
    "group_deleted": {"groups:read"},
    "group_left": {"groups:read"},
    "group_rename": {"groups:read"},
    "channel_shared": {"channels:read", "groups:read"},
    "channel_unshared": {"channels:read", "groups:read"},
}


def gateway_methods() -> set[str]:
    """The Web API methods bot/slack/gateway.py calls through its clients (chat_postMessage -> chat.postMessage)."""
    source = (ROOT / "bot" / "slack" / "gateway.py").read_text(encoding="utf-8")
    called = {name.replace("_", ".") for name in re.findall(r"\b(?:_idempotent|web_client)\.([a-z]+_[A-Za-z_]+)\(",
                                                            source)}
    called |= set(re.findall(r'probe\("([a-z]+\.[A-Za-z.]+)"', (ROOT / "bot" / "runtime" / "startup.py").read_text()))
    called |= set(re.findall(r'_check\(settings, "([a-z]+\.[A-Za-z.]+)"', (ROOT / "bot" / "runtime" / "startup.py")
                             .read_text()))
    return called


def manifest_list(text: str, key: str) -> list[str]:
    """The items of a YAML list under `key:` in the manifest (comments dropped)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"{key}:")
    indent = len(lines[start + 1]) - len(lines[start + 1].lstrip())
    items = []
    for line in lines[start + 1:]:
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if len(line) - len(line.lstrip()) != indent or not stripped.startswith("- "):
            break
        items.append(stripped[2:].split("#", 1)[0].strip())
    return items


def test_the_gateway_calls_only_methods_whose_scopes_are_known() -> None:
    called = gateway_methods()
    assert {"chat.postMessage", "reactions.get", "auth.test", "apps.connections.open"} <= called
    unknown = called - set(SCOPES_FOR_METHOD)
    assert not unknown, f"add the scope of {sorted(unknown)} to SCOPES_FOR_METHOD and to the manifest"


def test_manifest_scopes_are_exactly_what_the_code_uses() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    scopes = manifest_list(text, "bot")
    events = manifest_list(text, "bot_events")
    needed: set[str] = {"commands"} if "slash_commands:" in text else set()
    for method in gateway_methods():
        needed |= SCOPES_FOR_METHOD[method]
    for event in events:
        assert event in SCOPES_FOR_EVENT, f"{event}: add its scope to SCOPES_FOR_EVENT"
        needed |= SCOPES_FOR_EVENT[event]
    assert len(scopes) == len(set(scopes))
    assert set(scopes) == needed, f"missing {sorted(needed - set(scopes))}, unused {sorted(set(scopes) - needed)}"
    assert "users:read" not in scopes and "links:read" not in scopes


def test_both_printed_manifests_keep_the_scopes_and_events() -> None:
    for printed in (manifest(), manifest("https://factcheck.example.org")):
        assert manifest_list(printed, "bot") == manifest_list(MANIFEST.read_text(encoding="utf-8"), "bot")
        assert "reaction_added" in manifest_list(printed, "bot_events")
