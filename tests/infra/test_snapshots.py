"""Snapshot of every configuration's template, with asset hashes and the deployment hash masked.

Update deliberately with ``pytest tests/infra/test_snapshots.py --snapshot-update`` and review the diff.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from pcluster_list_images_cdk import list_images_api
from tests.synth_support import synth_template

# A sha256 asset hash (S3Key "<hash>.zip", asset metadata, ...) wherever it appears.
ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
# API Gateway deployments get a content hash appended to their logical id on every API change, and a
# function's published version (current_version) one of the function's code and configuration.
CONTENT_HASH_SUFFIXES = {
    "AWS::ApiGateway::Deployment": (
        re.compile(r"^(?P<stem>.+Deployment[0-9A-F]{8})[0-9a-f]{32}$"),
        "deployment",
    ),
    "AWS::Lambda::Version": (re.compile(r"^(?P<stem>.+CurrentVersion[0-9A-F]{8})[0-9a-f]{32}$"), "version"),
}


def masked(template: dict[str, Any]) -> dict[str, Any]:
    """The template with volatile hashes replaced by stable placeholders, everywhere they occur."""
    text = json.dumps(template, sort_keys=True)
    for logical_id, resource in template["Resources"].items():
        suffix, name = CONTENT_HASH_SUFFIXES.get(resource["Type"], (None, ""))
        match = suffix.match(logical_id) if suffix else None
        if match:
            text = text.replace(logical_id, f"{match['stem']}<{name}-hash>")
    result: dict[str, Any] = json.loads(ASSET_HASH.sub("<asset-hash>", text))
    return result


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """syrupy snapshot stored as one JSON file per test (and configuration)."""
    return snapshot.use_extension(JSONSnapshotExtension)


def test_template_matches_snapshot(synthesized: Any, json_snapshot: SnapshotAssertion) -> None:
    # given one configuration's template; when masked; then it equals the reviewed snapshot
    assert masked(synthesized.template) == json_snapshot


@pytest.mark.parametrize("options", [None, {"snap_start": True}], ids=["default", "published_version"])
def test_masking_hides_runtime_code_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any] | None
) -> None:
    # given a template, and one with a different Lambda asset (changed runtime code); with a published
    # version too, whose logical id hashes the code
    original = synth_template(options)
    (tmp_path / "listimages").mkdir()
    (tmp_path / "listimages" / "handler.py").write_text("def handle(event, context):\n    return {}\n")
    monkeypatch.setattr(list_images_api, "runtime_asset_dir", lambda: tmp_path)
    # when synthesized
    changed = synth_template(options)
    # then the raw templates differ but the masked ones (what the snapshot sees) are equal
    assert _code_key(changed) != _code_key(original)
    assert changed != original
    assert masked(changed) == masked(original)


def test_masking_keeps_real_changes_visible(default_template: dict[str, Any]) -> None:
    # given a template with a changed property; when both are masked; then they still differ
    changed = json.loads(json.dumps(default_template))
    function = next(r for r in changed["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    function["Properties"]["MemorySize"] = 512
    assert masked(changed) != masked(default_template)


def _code_key(template: dict[str, Any]) -> str:
    function = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    key: str = function["Properties"]["Code"]["S3Key"]
    return key
