"""images.py against moto: which AMIs and stacks are listed for each imageStatus, how they map to entries,
the region argument, schema safety, and argument validation of the library call."""

from __future__ import annotations

import logging
from typing import Any, cast

import pytest
from botocore.session import get_session
from listimages.errors import (
    InvalidImageStatusError,
    InvalidInputError,
    InvalidRegionError,
    InvalidTokenError,
    MissingImageStatusError,
)
from listimages.images import BUILD_STATUS_BY_STACK_STATUS, STACK_STATUSES_BY_IMAGE_STATUS, list_images

from tests.runtime.moto_seed import image_tags, seed_ami, seed_stack
from tests.runtime.support import OTHER_ACCOUNT_ID, FakeAws, ami

# All CloudFormation stack statuses, from botocore's service model (23 today).
ALL_STACK_STATUSES = list(
    cast(Any, get_session().get_service_model("cloudformation").shape_for("StackStatus")).enum
)


@pytest.mark.usefixtures("moto_aws")
def test_available_lists_own_tagged_available_amis_only() -> None:
    # Given two finished images and every kind of decoy
    first = seed_ami("us-east-1", image_tags("first-image", version="3.8.0"))
    second = seed_ami("us-east-1", image_tags("second-image", version="3.9.0"))
    seed_ami("us-east-1", {})  # untagged AMI
    seed_ami("us-east-1", image_tags("no-build-status", build_status=None))
    seed_ami("us-east-1", image_tags("upper-case-status", build_status="AVAILABLE"))
    seed_ami("us-east-1", image_tags("pending-status", build_status="pending"))
    seed_ami("us-east-1", image_tags("other-account"), owner=OTHER_ACCOUNT_ID)
    seed_ami("us-east-1", {"parallelcluster:build_status": "available", "parallelcluster:version": "3.9.0"})

    # When AVAILABLE is listed
    result = list_images("AVAILABLE")

    # Then exactly the two images come back, fully mapped, with no token
    assert result == {
        "images": [
            {
                "image_id": "first-image",
                "ec2_ami_info": {"ami_id": first},
                "image_build_status": "BUILD_COMPLETE",
                "region": "us-east-1",
                "version": "3.8.0",
            },
            {
                "image_id": "second-image",
                "ec2_ami_info": {"ami_id": second},
                "image_build_status": "BUILD_COMPLETE",
                "region": "us-east-1",
                "version": "3.9.0",
            },
        ]
    }


# Contract §3's StackStatus → imageBuildStatus table, row by row.
CONTRACT_BUILD_STATUS = {
    **dict.fromkeys(
        [
            "CREATE_IN_PROGRESS",
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        ],
        "BUILD_IN_PROGRESS",
    ),
    **dict.fromkeys(
        [
            "CREATE_FAILED",
            "ROLLBACK_IN_PROGRESS",
            "ROLLBACK_FAILED",
            "ROLLBACK_COMPLETE",
            "UPDATE_ROLLBACK_FAILED",
            "UPDATE_ROLLBACK_COMPLETE",
        ],
        "BUILD_FAILED",
    ),
    "CREATE_COMPLETE": "BUILD_COMPLETE",
    "UPDATE_COMPLETE": "BUILD_COMPLETE",
    "DELETE_IN_PROGRESS": "DELETE_IN_PROGRESS",
    "DELETE_FAILED": "DELETE_FAILED",
    "DELETE_COMPLETE": "DELETE_COMPLETE",
}


def test_the_build_status_mapping_is_the_contracts_and_names_real_stack_statuses() -> None:
    # botocore knows all 23 CloudFormation statuses; the mapping is the contract's table, row for row
    assert len(ALL_STACK_STATUSES) == 23
    assert dict(BUILD_STATUS_BY_STACK_STATUS) == CONTRACT_BUILD_STATUS
    assert set(BUILD_STATUS_BY_STACK_STATUS) <= set(ALL_STACK_STATUSES)
    # and every status PENDING/FAILED can list has its row
    for statuses in STACK_STATUSES_BY_IMAGE_STATUS.values():
        assert statuses <= set(BUILD_STATUS_BY_STACK_STATUS)


@pytest.mark.usefixtures("moto_aws")
@pytest.mark.parametrize(
    ("image_status", "listed_statuses", "build_statuses"),
    [
        ("PENDING", ["CREATE_IN_PROGRESS"], ["BUILD_IN_PROGRESS"]),
        (
            "FAILED",
            [
                "CREATE_FAILED",
                "ROLLBACK_IN_PROGRESS",
                "ROLLBACK_FAILED",
                "ROLLBACK_COMPLETE",
                "DELETE_FAILED",
            ],
            ["BUILD_FAILED", "BUILD_FAILED", "BUILD_FAILED", "BUILD_FAILED", "DELETE_FAILED"],
        ),
    ],
)
def test_builds_are_listed_from_top_level_tagged_stacks_by_status(
    image_status: str, listed_statuses: list[str], build_statuses: list[str]
) -> None:
    # Given one image-build stack in each of the 23 CloudFormation statuses, and cluster stacks
    # (no image_id tag) in the listed statuses
    arns = {
        status: seed_stack(
            "us-east-1", f"build-{index}", status, image_tags(f"image-{index}", version="3.7.1")
        )
        for index, status in enumerate(ALL_STACK_STATUSES)
    }
    for index, status in enumerate(listed_statuses):
        seed_stack("us-east-1", f"cluster-{index}", status, {"parallelcluster:version": "3.9.0"})

    # When the status is listed
    result = list_images(image_status)

    # Then exactly the stacks in the contract's statuses come back, mapped field by field
    by_status = {entry["cloudformation_stack_status"]: entry for entry in result["images"]}
    assert len(result["images"]) == len(listed_statuses)  # no duplicate or decoy hides behind a status
    assert sorted(by_status) == sorted(listed_statuses)
    assert "next_token" not in result
    for status, build_status in zip(listed_statuses, build_statuses, strict=True):
        index = ALL_STACK_STATUSES.index(status)
        assert by_status[status] == {
            "image_id": f"image-{index}",
            "image_build_status": build_status,
            "cloudformation_stack_status": status,
            "cloudformation_stack_arn": arns[status],
            "region": "us-east-1",
            "version": "3.7.1",
        }


@pytest.mark.usefixtures("moto_aws")
def test_region_argument_lists_that_region() -> None:
    # Given images and builds in two Regions
    west_ami = seed_ami("us-west-2", image_tags("west-image"))
    seed_ami("us-east-1", image_tags("east-image"))
    west_stack = seed_stack("us-west-2", "west-build", "CREATE_FAILED", image_tags("west-build"))
    seed_stack("us-east-1", "east-build", "CREATE_FAILED", image_tags("east-build"))

    # When us-west-2 is listed
    available = list_images("AVAILABLE", region="us-west-2")
    failed = list_images("FAILED", region="us-west-2")

    # Then only its resources come back, each naming the Region
    assert [(e["ec2_ami_info"]["ami_id"], e["region"]) for e in available["images"]] == [
        (west_ami, "us-west-2")
    ]
    assert [(e["cloudformation_stack_arn"], e["region"]) for e in failed["images"]] == [
        (west_stack, "us-west-2")
    ]


@pytest.mark.usefixtures("moto_aws")
def test_off_schema_resources_are_skipped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    # Given one good image and AMIs/stacks that cannot yield a schema-valid entry
    good = seed_ami("us-east-1", image_tags("good-image"))
    bad_amis = [
        seed_ami("us-east-1", image_tags("no-version", version=None)),
        seed_ami("us-east-1", image_tags("")),
        seed_ami("us-east-1", image_tags("1-starts-with-digit")),
        seed_ami("us-east-1", image_tags("has_underscore")),
        seed_ami("us-east-1", image_tags("x")),  # the pattern needs two characters
    ]
    good_stack = seed_stack("us-east-1", "good", "CREATE_IN_PROGRESS", image_tags("good-build"))
    bad_stacks = [
        seed_stack("us-east-1", "empty-id", "CREATE_IN_PROGRESS", image_tags("")),
        seed_stack("us-east-1", "no-version", "CREATE_IN_PROGRESS", image_tags("build", version=None)),
    ]

    # When both sources are listed
    with caplog.at_level(logging.WARNING, logger="listimages"):
        available = list_images("AVAILABLE")
        pending = list_images("PENDING")

    # Then only the good entries come back, and each bad resource is named in a WARNING
    assert [entry["ec2_ami_info"]["ami_id"] for entry in available["images"]] == [good]
    assert [entry["cloudformation_stack_arn"] for entry in pending["images"]] == [good_stack]
    warned = [(r.levelno, getattr(r, "amiId", None) or getattr(r, "stackArn", None)) for r in caplog.records]
    assert sorted(warned) == sorted((logging.WARNING, name) for name in bad_amis + bad_stacks)
    # in the message as well as in a field, for log formats without the extra fields
    for (_, name), record in zip(warned, caplog.records, strict=True):
        assert str(name) in record.getMessage()


@pytest.mark.usefixtures("fake_aws")
@pytest.mark.parametrize(
    "image_status", ["available", "Available", "BUILD_COMPLETE", "", " AVAILABLE", "ALL"]
)
def test_bad_status_raises_instead_of_listing_nothing(image_status: str) -> None:
    with pytest.raises(InvalidImageStatusError, match=r"is not one of \['AVAILABLE', 'PENDING', 'FAILED'\]"):
        list_images(image_status)


@pytest.mark.usefixtures("fake_aws")
def test_missing_status_raises() -> None:
    with pytest.raises(MissingImageStatusError):
        list_images(cast(Any, None))


@pytest.mark.usefixtures("fake_aws")
@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"region": 123}, InvalidRegionError),
        ({"region": ["us-east-1"]}, InvalidRegionError),
        ({"next_token": 123}, InvalidTokenError),
        ({"next_token": b"token"}, InvalidTokenError),
    ],
)
def test_arguments_of_the_wrong_type_raise_the_librarys_input_errors(
    arguments: dict[str, object], error: type[InvalidInputError]
) -> None:
    # The library validates like the HTTP API: a typed input error, never a TypeError from deep inside
    with pytest.raises(error):
        list_images("AVAILABLE", **cast(Any, arguments))


@pytest.mark.parametrize("page_size", [0, -1, 1001, True, 2.5])
def test_bad_page_size_raises(fake_aws: object, page_size: object) -> None:
    with pytest.raises(InvalidInputError, match="page_size"):
        list_images("AVAILABLE", page_size=cast(Any, page_size))


def test_only_the_parallelcluster_tags_are_read(fake_aws: FakeAws) -> None:
    # Given an image whose other tags are many, one of them without a value
    image = ami("ami-0123456789abcdef0", "tagged-image", version="3.9.0")
    image["Tags"] += [{"Key": f"team:{n}", "Value": str(n)} for n in range(8)] + [{"Key": "no-value"}]
    fake_aws.amis = [image]

    # When AVAILABLE is listed
    page = list_images("AVAILABLE")

    # Then the image comes back from its three ParallelCluster tags
    assert [(entry["image_id"], entry["version"]) for entry in page["images"]] == [("tagged-image", "3.9.0")]
