"""The README stays true to the code: arguments, defaults, context keys, nag acknowledgments."""

from __future__ import annotations

import enum
import inspect
import re
from typing import Any

import app
from infra.list_images_api import ListImagesApi
from tests.synth_support import CONFIGURATIONS, REPO_ROOT, build_stack

DOC = (REPO_ROOT / "README.md").read_text()
ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"


def _table_rows(first_header: str) -> list[list[str]]:
    """Cells of the markdown table whose first header cell is ``first_header``."""
    lines = DOC.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def _rendered_default(default: Any) -> str:
    if isinstance(default, enum.Enum):
        return f"`{type(default).__name__}.{default.name}`"
    if isinstance(default, str):
        return f'`"{default}"`'
    return f"`{default!r}`"


def test_argument_table_matches_the_constructor() -> None:
    # given the constructor's keyword-only arguments and the documented table
    parameters = {
        name: parameter.default
        for name, parameter in inspect.signature(ListImagesApi.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    documented = {row[0].strip("`"): row[1] for row in _table_rows("Argument")}
    # then the same arguments are documented, in order, with their real defaults
    assert list(documented) == list(parameters)
    assert documented == {name: _rendered_default(default) for name, default in parameters.items()}


def test_context_keys_match_app_py() -> None:
    # given the context tables of app.py and the documented context column
    code_keys = {
        app.CONTEXT_PREFIX + key: argument
        for table in (
            app._STRING_OPTIONS,
            app._LIST_OPTIONS,
            app._INT_OPTIONS,
            app._FLOAT_OPTIONS,
            app._BOOL_OPTIONS,
        )
        for key, argument in table.items()
    }
    documented = {row[2].strip("`"): row[0].strip("`") for row in _table_rows("Argument") if row[2] != "—"}
    # then every key is documented against the argument it sets
    assert documented == code_keys


def _acknowledgments(construct_kwargs: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(rule id, construct path under the ListImagesApi, reason) of every acknowledgment."""
    stack = build_stack(construct_kwargs)
    root = stack.list_images.node.path + "/"
    found = set()
    for construct in stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == ACKNOWLEDGED_RULES:
                for key, reason in entry.data.items():
                    found.add((key.split("::", 1)[1], construct.node.path.removeprefix(root), reason))
    return found


def test_every_acknowledgment_is_documented_with_its_reason_on_its_construct() -> None:
    # given the acknowledgments of every configuration
    acknowledged = set().union(*(_acknowledgments(kwargs) for kwargs in CONFIGURATIONS.values()))
    documented = {
        (rule.strip("`"), path.strip("`"), reason)
        for rule, paths, reason in _table_rows("Rule")
        for path in paths.split(", ")
    }
    # then the documented table is exactly what the code acknowledges, where and why
    assert documented == acknowledged


def test_acknowledgments_sit_below_the_construct_never_on_stack_or_construct_root() -> None:
    # given the default stack; when its acknowledgments are collected
    stack = build_stack({})
    ack_paths = {
        construct.node.path
        for construct in stack.node.find_all()
        if any(entry.type == ACKNOWLEDGED_RULES for entry in construct.node.metadata)
    }
    # then none is on the stack or on the ListImagesApi itself (each is on a specific resource)
    assert ack_paths
    assert stack.node.path not in ack_paths
    assert stack.list_images.node.path not in ack_paths
    assert all(re.match(r"ListImagesStack/ListImages/.+", path) for path in ack_paths)


def test_deploy_command_and_diagram_are_documented() -> None:
    # given the page; then it gives the deploy command and a mermaid architecture diagram
    assert "make deploy" in DOC
    assert "```mermaid" in DOC
