"""Seeding moto's in-process backends directly (about ten times faster than through the API)."""

from __future__ import annotations

import json

from moto.cloudformation.models import cloudformation_backends
from moto.ec2.models import ec2_backends

from tests.runtime.support import ACCOUNT_ID, BUILD_STATUS_TAG, IMAGE_ID_TAG, VERSION_TAG

_TEMPLATE = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})


def image_tags(
    image_id: str | None, version: str | None = "3.9.0", build_status: str | None = "available"
) -> dict[str, str]:
    """The tags ParallelCluster puts on an image's AMI or build stack (None = tag absent)."""
    tags = {IMAGE_ID_TAG: image_id, VERSION_TAG: version, BUILD_STATUS_TAG: build_status}
    return {key: value for key, value in tags.items() if value is not None}


def seed_ami(region: str, tags: dict[str, str], *, owner: str = ACCOUNT_ID) -> str:
    """An AMI in ``region`` with ``tags``, owned by ``owner``; returns its id."""
    backend = ec2_backends[ACCOUNT_ID][region]
    image = backend.register_image(name=f"image-{len(backend.amis)}", description="test image")
    image.owner_id = owner
    if tags:
        backend.create_tags([image.id], tags)
    return str(image.id)


def seed_stack(region: str, name: str, status: str, tags: dict[str, str]) -> str:
    """A CloudFormation stack in ``region`` with ``tags`` and ``status``; returns its StackId."""
    backend = cloudformation_backends[ACCOUNT_ID][region]
    created = backend.create_stack(name=name, template=_TEMPLATE, parameters={}, tags=tags)
    created.status = status
    return str(created.stack_id)
