"""What the CLI synthesized: the stacks of a cloud assembly, their templates and their file assets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_STACK_ARTIFACT = "aws:cloudformation:stack"
_ASSET_MANIFEST_ARTIFACT = "cdk:asset-manifest"


@dataclass(frozen=True)
class FileAsset:
    """A file asset: where the CLI staged it in the assembly and where it uploads it."""

    source: Path
    bucket_name: str
    object_key: str


@dataclass(frozen=True)
class SynthesizedStack:
    """One stack of an assembly: its deployed name and its template."""

    name: str
    template: dict[str, Any]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """Logical id -> resource."""
        resources: dict[str, dict[str, Any]] = self.template["Resources"]
        return resources

    def logical_ids_of_type(self, resource_type: str) -> list[str]:
        """Logical ids of the resources of one type, in template order."""
        return [logical_id for logical_id, r in self.resources.items() if r["Type"] == resource_type]


@dataclass(frozen=True)
class CloudAssembly:
    """A ``cdk.out`` directory written by ``cdk deploy --output``."""

    directory: Path

    def _manifest_artifacts(self) -> dict[str, dict[str, Any]]:
        artifacts: dict[str, dict[str, Any]] = json.loads((self.directory / "manifest.json").read_text())[
            "artifacts"
        ]
        return artifacts

    def stacks(self) -> list[SynthesizedStack]:
        """Every stack the assembly deploys."""
        stacks = []
        for artifact_id, artifact in self._manifest_artifacts().items():
            if artifact["type"] != _STACK_ARTIFACT:
                continue
            properties = artifact["properties"]
            template = json.loads((self.directory / properties["templateFile"]).read_text())
            stacks.append(SynthesizedStack(properties.get("stackName", artifact_id), template))
        return stacks

    def file_asset(self, object_key: str, *, account: str, region: str) -> FileAsset:
        """The file asset uploaded under ``object_key`` (the key a template's ``Code.S3Key`` names)."""
        for artifact in self._manifest_artifacts().values():
            if artifact["type"] != _ASSET_MANIFEST_ARTIFACT:
                continue
            manifest = json.loads((self.directory / artifact["properties"]["file"]).read_text())
            for asset in manifest.get("files", {}).values():
                for destination in asset["destinations"].values():
                    if destination["objectKey"] == object_key:
                        bucket = (
                            destination["bucketName"]
                            .replace("${AWS::AccountId}", account)
                            .replace("${AWS::Region}", region)
                        )
                        return FileAsset(self.directory / asset["source"]["path"], bucket, object_key)
        raise LookupError(f"no file asset with object key {object_key} in {self.directory}")
