"""regions.py: valid Regions come from botocore's partition data of the home Region, narrowed by the
allow-list; the default is the home Region."""

from __future__ import annotations

import pytest
from botocore.exceptions import InvalidRegionError as BotocoreInvalidRegionError
from hypothesis import given, settings
from hypothesis import strategies as st
from listimages import sources
from listimages.errors import ConfigurationError, InvalidInputError, InvalidRegionError
from listimages.regions import region_rules, resolve_region


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-west-3", "ap-southeast-7", "mx-central-1", "il-central-1"]
)
def test_known_regions_of_the_home_partition_are_valid(region: str) -> None:
    assert resolve_region(region) == region


def test_a_future_region_of_the_partition_pattern_is_valid() -> None:
    # Given a Region name botocore does not list yet but that follows the partition's pattern
    # Then it is accepted (AWS decides whether it exists)
    assert resolve_region("eu-north-9") == "eu-north-9"


@pytest.mark.parametrize(
    "region",
    [
        "aws-global",  # a pseudo-Region botocore lists
        "cn-north-1",  # another partition
        "us-gov-west-1",  # another partition
        "us-east",
        "US-EAST-1",
        "us-east-1 ",
        "us-east-1\n",
        "us-eaśt-1",
        "us-east-\u0661",  # an Arabic-Indic digit one: \d must stay ASCII
        "localhost",
        "../us-east-1",
        "us-east_1-1",  # the partition pattern's \w takes "_", a DNS host label does not
        "eu-" + "x" * 61 + "-1",  # of the pattern, but longer than a host label (63)
    ],
)
def test_names_outside_the_home_partition_are_invalid(region: str) -> None:
    with pytest.raises(InvalidRegionError, match="invalid or unsupported region"):
        resolve_region(region)


@pytest.mark.parametrize("requested", [None, ""])
def test_absent_region_means_the_home_region(monkeypatch: pytest.MonkeyPatch, requested: str | None) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert resolve_region(requested) == "eu-central-1"


def test_the_partition_follows_the_home_region(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a function running in the China partition
    monkeypatch.setenv("AWS_REGION", "cn-northwest-1")

    # Then China Regions are valid and commercial ones are not
    assert resolve_region("cn-north-1") == "cn-north-1"
    with pytest.raises(InvalidRegionError):
        resolve_region("us-east-1")


def test_allow_list_narrows_the_valid_regions(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an allow-list with spaces and an empty entry
    monkeypatch.setenv("LIST_IMAGES_ALLOWED_REGIONS", " us-east-1, eu-west-1 ,,")

    # Then listed Regions are valid and other Regions of the partition are not
    assert region_rules().allow_list == {"us-east-1", "eu-west-1"}
    assert resolve_region("eu-west-1") == "eu-west-1"
    with pytest.raises(InvalidRegionError):
        resolve_region("us-west-2")


def test_empty_allow_list_means_no_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIST_IMAGES_ALLOWED_REGIONS", " , ")
    assert region_rules().allow_list is None
    assert resolve_region("sa-east-1") == "sa-east-1"


def test_missing_home_region_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(ConfigurationError):
        resolve_region(None)


def test_region_rules_follow_a_changed_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given rules already used (and cached) with one allow-list and home Region
    monkeypatch.setenv("LIST_IMAGES_ALLOWED_REGIONS", "us-east-1")
    assert resolve_region(None) == "us-east-1"
    with pytest.raises(InvalidRegionError):
        resolve_region("eu-west-1")

    # When the environment changes in the same process
    monkeypatch.setenv("LIST_IMAGES_ALLOWED_REGIONS", "eu-west-1,eu-central-1")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")

    # Then the new values apply, not the cached ones
    assert resolve_region("eu-west-1") == "eu-west-1"
    assert resolve_region(None) == "eu-central-1"
    with pytest.raises(InvalidRegionError):
        resolve_region("us-east-1")


# Names built from the partition pattern's own pieces, so that many of them get past it.
_region_like = st.builds(
    "{}-{}-{}".format,
    st.sampled_from(["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn", "xx"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-0123456789ÉŚ", min_size=1, max_size=70),
    st.text(alphabet="0123456789", min_size=1, max_size=3),
)


@settings(max_examples=300, deadline=None, database=None)
@given(name=_region_like)
def test_every_accepted_region_is_one_botocore_accepts_for_a_client(name: str) -> None:
    # Given any Region-like name
    try:
        region = resolve_region(name)
    except InvalidRegionError:
        return  # refused up front: a 400, no client is made

    # When the runtime makes a client for a name it accepted, Then botocore accepts it too (no 500 later)
    try:
        sources.create_botocore_client("ec2", region)
    except BotocoreInvalidRegionError:  # pragma: no cover - the failure this test exists to catch
        pytest.fail(f"accepted {region!r}, which botocore refuses")


@pytest.mark.parametrize("requested", [123, ["us-east-1"], {"region": "us-east-1"}, b"us-east-1"])
def test_a_region_that_is_not_a_string_is_invalid(requested: object) -> None:
    # The library call's callers are Python code: a wrong type is a bad input, not a TypeError
    with pytest.raises(InvalidInputError, match="invalid or unsupported region"):
        resolve_region(requested)
