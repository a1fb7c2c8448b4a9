"""The house rules of bot/: packages depend on each other in one direction, and nothing private crosses.

These read the source (ast), so a new import that breaks the layering fails here, not in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lowest first: a package may import only packages to its left (and itself).
LAYERS = ["config", "infra", "slack", "articles", "claims", "matching", "verdicts", "casework", "intake", "desk",
          "publishing", "runtime"]


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


def _package(path: Path) -> str:
    return path.relative_to(ROOT / "bot").parts[0]


def test_every_package_under_bot_is_placed_in_a_layer() -> None:
    packages = {p.name for p in (ROOT / "bot").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(LAYERS)


def test_packages_import_only_lower_layers() -> None:
    upward = []
    for path in (ROOT / "bot").rglob("*.py"):
        own = _package(path)
        for module, _ in _imports(path):
            parts = module.split(".")
            if parts[0] != "bot" or len(parts) < 2 or parts[1] == own:
                continue
            if LAYERS.index(parts[1]) > LAYERS.index(own):
                upward.append(f"{path.relative_to(ROOT)} imports {module}")
    assert upward == []


def test_no_private_name_is_imported_from_another_package() -> None:
    leaks = []
    for path in (ROOT / "bot").rglob("*.py"):
        own = _package(path)
        for module, names in _imports(path):
            parts = module.split(".")
            if parts[0] == "bot" and len(parts) > 1 and parts[1] != own:
                leaks += [f"{path.relative_to(ROOT)}: {module}.{n}" for n in names if n.startswith("_")]
    assert leaks == []


def test_business_logic_does_not_import_bolt_and_only_the_gateway_builds_clients() -> None:
    offenders = []
    for path in (ROOT / "bot").rglob("*.py"):
        for module, names in _imports(path):
            if module.startswith("slack_bolt"):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
            # transport.py defines the bounded WebClient the gateway builds; it builds none itself.
            if module.startswith("slack_sdk") and {"WebClient", "WebhookClient"} & set(names) \
                    and path not in (ROOT / "bot" / "slack" / "gateway.py", ROOT / "bot" / "slack" / "transport.py"):
                offenders.append(f"{path.relative_to(ROOT)} builds a Slack client")
    assert offenders == []


def test_listeners_call_slack_only_through_the_gateway() -> None:
    """Bolt hands each listener a fresh plain WebClient (`client`, `say`) built from the gateway's settings
    but without its total deadline and size cap (bot.slack.transport); listeners must not use it."""
    offenders = []
    for path in (ROOT / "handlers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = {a.arg for a in node.args.args + node.args.kwonlyargs}
                offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {node.name}({n})"
                              for n in sorted(names & {"client", "say"})]
    assert offenders == []
