"""Block Kit validation as Slack does it, for the Web API stand-in.

Slack refuses a whole message or view whose blocks break a rule, with `{"ok": false, "error":
"invalid_blocks"}` (and the reasons in `errors`); nothing is posted. The stand-in applies the same rules
so that tests fail where Slack would. Limits are Slack's documented ones (api.slack.com/reference/
block-kit: blocks, block elements, composition objects), in characters.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000
TEXT = 3000
FIELD = 2000
HEADER = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
URL = 3000
ID = 255

KNOWN_BLOCKS = {"section", "context", "header", "divider", "actions", "rich_text", "image", "input", "file",
                "video", "markdown", "context_actions", "table"}
TEXT_TYPES = {"plain_text", "mrkdwn"}
INTERACTIVE = {"button", "checkboxes", "datepicker", "datetimepicker", "multi_static_select",
               "multi_external_select", "multi_users_select", "multi_conversations_select",
               "multi_channels_select", "overflow", "plain_text_input", "radio_buttons", "static_select",
               "external_select", "users_select", "conversations_select", "channels_select", "timepicker",
               "email_text_input", "number_input", "url_text_input", "rich_text_input", "workflow_button",
               "file_input"}


class Invalid(Exception):
    pass


def _text(obj: Any, where: str, limit: int, *, plain_only: bool = False) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in TEXT_TYPES:
        raise Invalid(f"{where}: must be a text object (plain_text or mrkdwn)")
    if plain_only and obj["type"] != "plain_text":
        raise Invalid(f"{where}: must be plain_text")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        raise Invalid(f"{where}.text: must be a non-empty string")
    if len(text) > limit:
        raise Invalid(f"{where}.text: must be less than {limit + 1} characters (is {len(text)})")


def _short(value: Any, where: str, limit: int) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        raise Invalid(f"{where}: must be a string of at most {limit} characters")


def _element(element: Any, where: str) -> None:
    if not isinstance(element, dict) or element.get("type") not in INTERACTIVE | {"image"}:
        raise Invalid(f"{where}: unknown element type")
    _short(element.get("action_id"), f"{where}.action_id", ID)
    if element["type"] == "button":
        _text(element.get("text"), f"{where}.text", BUTTON_TEXT, plain_only=True)
        _short(element.get("value"), f"{where}.value", BUTTON_VALUE)
        _short(element.get("url"), f"{where}.url", URL)
    if element["type"] == "image":
        _short(element.get("image_url"), f"{where}.image_url", URL)
        if not element.get("alt_text") or not (element.get("image_url") or element.get("slack_file")):
            raise Invalid(f"{where}: an image needs image_url (or slack_file) and alt_text")


def _block(block: Any, where: str) -> None:
    if not isinstance(block, dict):
        raise Invalid(f"{where}: must be an object")
    kind = block.get("type")
    if kind not in KNOWN_BLOCKS:
        raise Invalid(f"{where}.type: unknown block type {kind!r}")
    _short(block.get("block_id"), f"{where}.block_id", ID)
    if kind == "section":
        if "text" not in block and "fields" not in block:
            raise Invalid(f"{where}: a section needs text or fields")
        if "text" in block:
            _text(block["text"], f"{where}.text", TEXT)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not fields or len(fields) > 10:
                raise Invalid(f"{where}.fields: 1 to 10 text objects")
            for index, field in enumerate(fields):
                _text(field, f"{where}.fields[{index}]", FIELD)
        if "accessory" in block:
            _element(block["accessory"], f"{where}.accessory")
    elif kind == "header":
        _text(block.get("text"), f"{where}.text", HEADER, plain_only=True)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements or len(elements) > 10:
            raise Invalid(f"{where}.elements: 1 to 10 elements")
        for index, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") == "image":
                _element(element, f"{where}.elements[{index}]")
            else:
                _text(element, f"{where}.elements[{index}]", TEXT)
    elif kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements or len(elements) > 25:
            raise Invalid(f"{where}.elements: 1 to 25 elements")
        for index, element in enumerate(elements):
            _element(element, f"{where}.elements[{index}]")
    elif kind == "rich_text":
        if not isinstance(block.get("elements"), list):
            raise Invalid(f"{where}.elements: required")
    elif kind == "image":
        _element({**block, "type": "image"}, where)
        if "title" in block:
            _text(block["title"], f"{where}.title", FIELD, plain_only=True)
    elif kind == "input":
        _text(block.get("label"), f"{where}.label", FIELD, plain_only=True)
        _element(block.get("element"), f"{where}.element")


def block_errors(blocks: Any, max_blocks: int = MESSAGE_BLOCKS) -> list[str]:
    """Slack's reasons for refusing these blocks; empty when they are valid."""
    if not isinstance(blocks, list):
        return ["blocks: must be an array"]
    if len(blocks) > max_blocks:
        return [f"blocks: must have at most {max_blocks} items (has {len(blocks)})"]
    errors = []
    for index, block in enumerate(blocks):
        try:
            _block(block, f"blocks[{index}]")
        except Invalid as exc:
            errors.append(str(exc))
    return errors


def refusal(params: dict[str, Any], *, max_blocks: int = MESSAGE_BLOCKS) -> dict[str, Any] | None:
    """The answer Slack gives to a message whose text or blocks break the rules, else None."""
    text = params.get("text")
    if isinstance(text, str) and len(text) > MESSAGE_TEXT:
        return {"ok": False, "error": "msg_too_long"}
    if "blocks" in params and params["blocks"] not in (None, ""):
        errors = block_errors(params["blocks"], max_blocks)
        if errors:
            return {"ok": False, "error": "invalid_blocks", "errors": errors,
                    "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]}}
    return None
