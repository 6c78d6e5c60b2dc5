"""Sample ParallelCluster images in the emulated AWS: what `make local` serves and the e2e tests check.

Seeding writes to moto's in-process backends (about ten times faster than through its API); a
``ThreadedMotoServer`` in the same process serves the same backends. moto finishes every stack at
once, so other stack statuses are set on the backend afterwards.

The catalog returned by :func:`seed_sample_images` says what was planted: which images each
(imageStatus, Region) listing must return, and the decoys it must never return.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_ACCOUNT_ID = "123456789012"
IMAGE_ID_TAG = "parallelcluster:image_id"
VERSION_TAG = "parallelcluster:version"
BUILD_STATUS_TAG = "parallelcluster:build_status"
IMAGE_STATUSES = ("AVAILABLE", "PENDING", "FAILED")
_VERSIONS = ("3.9.0", "3.10.1", "3.11.0", "3.12.0")
_FAILED_STACK_STATUSES = (
    "CREATE_FAILED",
    "DELETE_FAILED",
    "ROLLBACK_FAILED",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_IN_PROGRESS",
)
_BUILD_STATUS = {
    "CREATE_IN_PROGRESS": "BUILD_IN_PROGRESS",
    "CREATE_FAILED": "BUILD_FAILED",
    "ROLLBACK_IN_PROGRESS": "BUILD_FAILED",
    "ROLLBACK_FAILED": "BUILD_FAILED",
    "ROLLBACK_COMPLETE": "BUILD_FAILED",
    "DELETE_FAILED": "DELETE_FAILED",
}
# CloudFormation needs a template; moto accepts one without resources, which keeps seeding instant.
_EMPTY_TEMPLATE = json.dumps({"Resources": {}})


@dataclass(frozen=True)
class SampleCounts:
    """How many listable images to plant in one Region, per imageStatus."""

    available: int
    pending: int
    failed: int


#: Enough for pagination to show with a small page size, in two Regions.
DEFAULT_COUNTS: Mapping[str, SampleCounts] = {
    "us-east-1": SampleCounts(available=23, pending=12, failed=16),
    "eu-west-1": SampleCounts(available=7, pending=3, failed=6),
}


@dataclass(frozen=True)
class SampleImage:
    """One planted image, and the listing entry the API must return for it (camelCase keys)."""

    image_status: str
    entry: Mapping[str, object]

    @property
    def image_id(self) -> str:
        """The ParallelCluster image id (the ``parallelcluster:image_id`` tag)."""
        return str(self.entry["imageId"])


@dataclass(frozen=True)
class SampleCatalog:
    """What :func:`seed_sample_images` planted.

    Attributes
    ----------
    account_id:
        The emulated account.
    images:
        Every image some listing must return.
    decoy_ami_ids, decoy_stack_arns:
        AMIs and stacks that look like ParallelCluster images but no listing may return (wrong tag
        value or case, no image id, no version, malformed id, finished or non-image stacks).
    """

    account_id: str
    images: tuple[SampleImage, ...]
    decoy_ami_ids: tuple[str, ...]
    decoy_stack_arns: tuple[str, ...]

    @property
    def regions(self) -> tuple[str, ...]:
        """The Regions that hold sample images, in seeding order."""
        return tuple(dict.fromkeys(str(image.entry["region"]) for image in self.images))

    def expected(self, image_status: str, region: str) -> list[Mapping[str, object]]:
        """The entries ``GET /images/custom?imageStatus=<image_status>&region=<region>`` must list."""
        return [
            image.entry
            for image in self.images
            if image.image_status == image_status and image.entry["region"] == region
        ]


def seed_sample_images(
    counts: Mapping[str, SampleCounts] | None = None, *, account_id: str = DEFAULT_ACCOUNT_ID
) -> SampleCatalog:
    """Plant sample ParallelCluster images and decoys in moto's in-process backends.

    Parameters
    ----------
    counts:
        Region name -> how many images per status to plant there (default :data:`DEFAULT_COUNTS`).
    account_id:
        The moto account to plant them in (moto's default account unless configured otherwise).

    Returns
    -------
    SampleCatalog
        What each listing must return, and the decoys none may return.

    Call it on a fresh emulator (stack names must be unique per Region): the emulated AWS of
    :class:`local.emulator.EmulatedAws` resets moto when it starts.
    """
    # moto is a development dependency; importing it here keeps `import local` light.
    from moto.cloudformation.models import cloudformation_backends  # noqa: PLC0415
    from moto.ec2.models import ec2_backends  # noqa: PLC0415

    images: list[SampleImage] = []
    decoy_amis: list[str] = []
    decoy_stacks: list[str] = []
    for region, region_counts in (counts or DEFAULT_COUNTS).items():
        ec2 = ec2_backends[account_id][region]
        cloudformation = cloudformation_backends[account_id][region]
        versions = itertools.cycle(_VERSIONS)

        plant_ami = functools.partial(_plant_ami, ec2)
        plant_stack = functools.partial(_plant_stack, cloudformation)

        for number in range(1, region_counts.available + 1):
            image_id, version = f"image-{region}-{number:02d}", next(versions)
            ami_id = plant_ami(
                image_id,
                {IMAGE_ID_TAG: image_id, VERSION_TAG: version, BUILD_STATUS_TAG: "available"},
            )
            images.append(
                SampleImage(
                    "AVAILABLE",
                    {
                        "imageId": image_id,
                        "ec2AmiInfo": {"amiId": ami_id},
                        "imageBuildStatus": "BUILD_COMPLETE",
                        "region": region,
                        "version": version,
                    },
                )
            )
        stack_plan = [("PENDING", "building", "CREATE_IN_PROGRESS")] * region_counts.pending + [
            ("FAILED", "broken", status)
            for status in itertools.islice(itertools.cycle(_FAILED_STACK_STATUSES), region_counts.failed)
        ]
        numbers: dict[str, int] = {}
        for image_status, prefix, stack_status in stack_plan:
            numbers[prefix] = numbers.get(prefix, 0) + 1
            image_id, version = f"{prefix}-{region}-{numbers[prefix]:02d}", next(versions)
            stack_arn = plant_stack(image_id, {IMAGE_ID_TAG: image_id, VERSION_TAG: version}, stack_status)
            images.append(
                SampleImage(
                    image_status,
                    {
                        "imageId": image_id,
                        "imageBuildStatus": _BUILD_STATUS[stack_status],
                        "cloudformationStackStatus": stack_status,
                        "cloudformationStackArn": stack_arn,
                        "region": region,
                        "version": version,
                    },
                )
            )

        decoy_amis += [
            plant_ami("decoy-untagged", {}),
            plant_ami(
                "decoy-building",
                {IMAGE_ID_TAG: "decoy-building", VERSION_TAG: "3.11.0", BUILD_STATUS_TAG: "pending"},
            ),
            plant_ami(
                "decoy-wrong-case",
                {IMAGE_ID_TAG: "decoy-wrong-case", VERSION_TAG: "3.11.0", BUILD_STATUS_TAG: "Available"},
            ),
            plant_ami("decoy-no-image-id", {VERSION_TAG: "3.11.0", BUILD_STATUS_TAG: "available"}),
            plant_ami("decoy-no-version", {IMAGE_ID_TAG: "decoy-no-version", BUILD_STATUS_TAG: "available"}),
            plant_ami(
                "decoy-bad-id",
                {IMAGE_ID_TAG: "9-starts-with-a-digit", VERSION_TAG: "3.11.0", BUILD_STATUS_TAG: "available"},
            ),
        ]
        decoy_stacks += [
            plant_stack(
                "decoy-finished", {IMAGE_ID_TAG: "decoy-finished", VERSION_TAG: "3.11.0"}, "CREATE_COMPLETE"
            ),
            plant_stack(
                "decoy-updating",
                {IMAGE_ID_TAG: "decoy-updating", VERSION_TAG: "3.11.0"},
                "UPDATE_IN_PROGRESS",
            ),
            plant_stack(
                "decoy-cluster", {"parallelcluster:cluster_name": "decoy-cluster"}, "CREATE_IN_PROGRESS"
            ),
            plant_stack("decoy-empty-id", {IMAGE_ID_TAG: "", VERSION_TAG: "3.11.0"}, "CREATE_FAILED"),
            plant_stack("decoy-no-version", {IMAGE_ID_TAG: "decoy-no-version"}, "CREATE_IN_PROGRESS"),
        ]
    return SampleCatalog(account_id, tuple(images), tuple(decoy_amis), tuple(decoy_stacks))


def _plant_ami(ec2: Any, name: str, tags: Mapping[str, str]) -> str:
    """Register an AMI owned by the backend's account, with ``tags``; return its id."""
    ami = ec2.register_image(name=name, description="ParallelCluster sample image")
    if tags:
        ec2.create_tags([ami.id], dict(tags))
    return str(ami.id)


def _plant_stack(cloudformation: Any, name: str, tags: Mapping[str, str], status: str) -> str:
    """Create a stack with ``tags`` and force its status (moto completes every create at once)."""
    stack = cloudformation.create_stack(name=name, template=_EMPTY_TEMPLATE, parameters={}, tags=dict(tags))
    stack.status = status
    return str(stack.stack_id)
