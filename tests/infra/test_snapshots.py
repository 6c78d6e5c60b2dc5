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
# API Gateway deployments get a content hash appended to their logical id on every API change.
DEPLOYMENT_SUFFIX = re.compile(r"^(?P<stem>.+Deployment[0-9A-F]{8})[0-9a-f]{32}$")


def masked(template: dict[str, Any]) -> dict[str, Any]:
    """The template with volatile hashes replaced by stable placeholders, everywhere they occur."""
    text = json.dumps(template, sort_keys=True)
    for logical_id, resource in template["Resources"].items():
        match = DEPLOYMENT_SUFFIX.match(logical_id)
        if resource["Type"] == "AWS::ApiGateway::Deployment" and match:
            text = text.replace(logical_id, f"{match['stem']}<deployment-hash>")
    result: dict[str, Any] = json.loads(ASSET_HASH.sub("<asset-hash>", text))
    return result


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """syrupy snapshot stored as one JSON file per test (and configuration)."""
    return snapshot.use_extension(JSONSnapshotExtension)


def test_template_matches_snapshot(synthesized: Any, json_snapshot: SnapshotAssertion) -> None:
    # given one configuration's template; when masked; then it equals the reviewed snapshot
    assert masked(synthesized.template) == json_snapshot


def test_masking_hides_runtime_code_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_template: dict[str, Any]
) -> None:
    # given a different Lambda asset (changed runtime code)
    (tmp_path / "listimages").mkdir()
    (tmp_path / "listimages" / "handler.py").write_text("def handle(event, context):\n    return {}\n")
    monkeypatch.setattr(list_images_api, "runtime_asset_dir", lambda: tmp_path)
    # when synthesized
    changed = synth_template()
    # then the raw code keys differ but the masked templates (what the snapshot sees) are equal
    assert _code_key(changed) != _code_key(default_template)
    assert masked(changed) == masked(default_template)


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
