"""The docs stay true to the code: arguments, defaults, context keys, nag acknowledgments, make commands."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
from typing import Any, cast

import app
from pcluster_list_images_cdk import CustomDomain, ListImagesApi, LoggingOptions
from tests.synth_support import CONFIGURATIONS, REPO_ROOT, synthesize_configuration

CONSTRUCT_DOC = (REPO_ROOT / "docs" / "construct.md").read_text()
SECURITY_DOC = (REPO_ROOT / "docs" / "security.md").read_text()
OPERATIONS_DOC = (REPO_ROOT / "docs" / "operations.md").read_text()
# Every page a reader may copy a `make` command from.
PAGES_WITH_COMMANDS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
# The option structs documented in tables of their own: table header -> (type, field of the options).
STRUCT_TABLES = {
    "LoggingOptions field": (LoggingOptions, "logging"),
    "CustomDomain field": (CustomDomain, "domain"),
}


def _table_rows(doc: str, first_header: str) -> list[list[str]]:
    """Cells of the markdown table in ``doc`` whose first header cell is ``first_header``."""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def _rendered_default(default: Any) -> str:
    if default is dataclasses.MISSING:
        return "required"
    if isinstance(default, enum.Enum):
        return f"`{type(default).__name__}.{default.name}`"
    if isinstance(default, str):
        return f'`"{default}"`'
    if dataclasses.is_dataclass(default) and default == cast(Any, type(default))():
        return f"`{type(default).__name__}()`"
    return f"`{default!r}`"


def test_argument_table_matches_the_constructor() -> None:
    # given the constructor's keyword-only arguments and the documented table
    parameters = {
        name: parameter.default
        for name, parameter in inspect.signature(ListImagesApi.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    documented = {row[0].strip("`"): row[1] for row in _table_rows(CONSTRUCT_DOC, "Argument")}
    # then the same arguments are documented, in order, with their real defaults
    assert list(documented) == list(parameters)
    assert documented == {name: _rendered_default(default) for name, default in parameters.items()}


def test_each_option_struct_table_matches_its_fields() -> None:
    for header, (struct, _) in STRUCT_TABLES.items():
        # given the struct's fields and its documented table
        fields = {field.name: field.default for field in dataclasses.fields(struct)}
        documented = {row[0].strip("`"): row[1] for row in _table_rows(CONSTRUCT_DOC, header)}
        # then the same fields are documented, in order, with their real defaults (or "required")
        assert list(documented) == list(fields), header
        assert documented == {name: _rendered_default(default) for name, default in fields.items()}, header


def _documented_context_keys() -> dict[str, str]:
    """Context key -> the option it is documented against (``argument`` or ``group.field``)."""
    documented: dict[str, str] = {}
    tables = [("Argument", ""), *((header, f"{group}.") for header, (_, group) in STRUCT_TABLES.items())]
    for header, prefix in tables:
        for row in _table_rows(CONSTRUCT_DOC, header):
            for key in row[2].split(", "):
                if key != "—":
                    documented[key.strip("`")] = prefix + row[0].strip("`")
    return documented


def test_context_keys_match_app_py() -> None:
    # given app.py's context table and the documented context columns
    code = {app.CONTEXT_PREFIX + option.key: option.field for option in app.CONTEXT_OPTIONS}
    documented = _documented_context_keys()
    # then every key is documented, and against the option (or the struct field) it sets
    assert set(documented) == set(code)
    # (a documented argument covers its struct's fields, throttling -> throttling.rate_limit; the zone's two
    # keys make one reference, domain.hosted_zone <- domain.hosted_zone_id and domain.hosted_zone_name)
    for key, option in documented.items():
        assert code[key] == option or code[key].startswith((option + ".", option + "_")), key


def test_monitoring_context_keys_match_app_py() -> None:
    # given app.py's monitoring keys and the table of docs/operations.md
    code = [app.CONTEXT_PREFIX + option.key for option in app.MONITORING_CONTEXT_OPTIONS]
    documented = [row[0].strip("`") for row in _table_rows(OPERATIONS_DOC, "Context key")]
    # then the same keys, in the same order
    assert documented == code


def _acknowledgments(configuration: str) -> set[tuple[str, str, str]]:
    """(rule id, construct path under the ListImagesApi, reason) of every acknowledgment."""
    stack = synthesize_configuration(configuration).stack
    root = stack.list_images.node.path + "/"
    found = set()
    for construct in stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == ACKNOWLEDGED_RULES:
                for key, reason in entry.data.items():
                    found.add((key.split("::", 1)[1], construct.node.path.removeprefix(root), reason))
    return found


def test_every_acknowledgment_is_documented_with_its_reason_on_its_construct() -> None:
    # given the acknowledgments of every configuration (opt-ins included: the account CloudWatch role,
    # execution logging, reserved concurrency, WAF, log encryption, the invoker role)
    acknowledged = set().union(*(_acknowledgments(name) for name in CONFIGURATIONS))
    documented = {
        (rule.strip("`"), path.strip("`"), reason)
        for rule, paths, reason in _table_rows(SECURITY_DOC, "Rule")
        for path in paths.split(", ")
    }
    # then the documented table is exactly what the code acknowledges, where and why
    assert documented == acknowledged


def test_acknowledgments_sit_below_the_construct_never_on_stack_or_construct_root() -> None:
    # given the default stack; when its acknowledgments are collected
    stack = synthesize_configuration("default").stack
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


def _make_recipes() -> dict[str, str]:
    """Makefile target -> its recipe lines, joined."""
    recipes: dict[str, str] = {}
    target = None
    for line in (REPO_ROOT / "Makefile").read_text().splitlines():
        header = re.match(r"^([a-z][a-z-]*):", line)
        if header:
            target = header.group(1)
            recipes[target] = ""
        elif line.startswith("\t") and target is not None:
            recipes[target] += line + "\n"
    return recipes


def test_documented_make_commands_exist_and_pass_their_context_options() -> None:
    # given every `make <target> ARGS="..."` the README and docs/ show, and the Makefile
    recipes = _make_recipes()
    commands = [
        command
        for page in PAGES_WITH_COMMANDS
        for command in re.findall(
            r"(?:^|`)make ([a-z][a-z-]*)(?: ARGS=\"([^\"]*)\")?", page.read_text(), re.MULTILINE
        )
    ]
    known_keys = {
        app.CONTEXT_PREFIX + option.key for option in (*app.CONTEXT_OPTIONS, *app.MONITORING_CONTEXT_OPTIONS)
    }
    # then every documented target exists
    assert commands
    assert {target for target, _ in commands} <= recipes.keys()
    # and every context key given in an example is one app.py reads
    for _, args in commands:
        assert set(re.findall(r"-c (list-images:[a-z-]+)=", args)) <= known_keys, args
    # and synth and deploy hand ARGS to the CDK CLI (the docs say synth takes deploy's options)
    for target in ("synth", "deploy"):
        assert "$(ARGS)" in recipes[target], recipes[target]
