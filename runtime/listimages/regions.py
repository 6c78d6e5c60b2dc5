"""Which Region a request may use: botocore's own partition data, narrowed by an optional allow-list.

No hand-kept list and no network: the partition data ships inside botocore, so newer botocore knows newer
Regions, and a Region name of the partition's pattern is accepted even before botocore lists it.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import InvalidRegionError as BotocoreInvalidRegionError
from botocore.loaders import Loader
from botocore.utils import validate_region_name

from .errors import ConfigurationError, InvalidRegionError

HOME_REGION_VARIABLE = "AWS_REGION"
ALLOWED_REGIONS_VARIABLE = "LIST_IMAGES_ALLOWED_REGIONS"


@dataclass(frozen=True)
class Partition:
    """The Region names of one AWS partition (aws, aws-cn, aws-us-gov, ...)."""

    partition_id: str
    known_regions: frozenset[str]
    region_pattern: re.Pattern[str]

    def has_region(self, name: str) -> bool:
        """Whether ``name`` is a Region of this partition: known to botocore, or of its Region pattern."""
        # botocore also lists pseudo-Regions such as "aws-global"; no images live there.
        if name in self.known_regions and not name.endswith("-global"):
            return True
        return self.region_pattern.fullmatch(name) is not None and _is_host_label(name)


def _is_host_label(name: str) -> bool:
    """Whether botocore accepts ``name`` for a client: the partition patterns allow "_" and any length,
    but a client's Region must be a DNS host label (botocore refuses anything else when creating it)."""
    try:
        validate_region_name(name)
    except BotocoreInvalidRegionError:
        return False
    return True


@functools.cache
def _partitions() -> tuple[Partition, ...]:
    data: dict[str, Any] = Loader().load_data("partitions")
    return tuple(
        Partition(
            partition_id=entry["id"],
            known_regions=frozenset(entry.get("regions", {})),
            # ASCII: the pattern's \w and \d must not accept non-ASCII letters or digits.
            region_pattern=re.compile(entry["regionRegex"], re.ASCII),
        )
        for entry in data["partitions"]
    )


def home_region() -> str:
    """The Region the function runs in (``AWS_REGION``), the default Region of a request."""
    region = os.environ.get(HOME_REGION_VARIABLE) or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise ConfigurationError(f"{HOME_REGION_VARIABLE} is not set")
    return region


@functools.cache
def _partition_of(region: str) -> Partition:
    for partition in _partitions():
        if partition.has_region(region):
            return partition
    raise ConfigurationError(f"home Region {region!r} belongs to no partition known to botocore")


@functools.cache
def _parse_allow_list(text: str) -> frozenset[str] | None:
    """``LIST_IMAGES_ALLOWED_REGIONS`` (comma-separated) as a set; None (no limit) when it names none."""
    names = {name.strip() for name in text.split(",")}
    names.discard("")
    return frozenset(names) or None


@dataclass(frozen=True)
class RegionRules:
    """Which Regions a request may name: the home partition's, narrowed by the allow-list."""

    home: str
    partition: Partition
    allow_list: frozenset[str] | None

    @property
    def region_count(self) -> int:
        """How many Regions requests may name: the allow-list's, else the partition's known ones. (Names of
        the partition's pattern that botocore does not know yet are accepted too, but not counted.)"""
        if self.allow_list is not None:
            return len(self.allow_list)
        return sum(1 for name in self.partition.known_regions if not name.endswith("-global"))

    def resolve(self, requested: str | None) -> str:
        """``requested`` if it is valid, the home Region if it is absent or empty; else InvalidRegionError."""
        region = self.home if requested is None or requested == "" else requested
        if not isinstance(region, str):
            raise InvalidRegionError(str(region))  # the library call's caller passed something else
        if not self.partition.has_region(region) or (
            self.allow_list is not None and region not in self.allow_list
        ):
            raise InvalidRegionError(region)
        return region


def region_rules() -> RegionRules:
    """The deployment's Region rules, built once per distinct configuration (read from the environment)."""
    return _region_rules(home_region(), os.environ.get(ALLOWED_REGIONS_VARIABLE, ""))


# Keyed on the raw environment values: a changed variable (tests, a new deployment) yields fresh rules.
@functools.lru_cache(maxsize=16)
def _region_rules(home: str, allow_list_text: str) -> RegionRules:
    return RegionRules(home, _partition_of(home), _parse_allow_list(allow_list_text))


def resolve_region(requested: str | None) -> str:
    """The Region to list images in: ``requested`` (validated) or the home Region when absent/empty.

    Raises
    ------
    InvalidRegionError
        ``requested`` is not a Region of the home partition, or not in the allow-list.
    """
    return region_rules().resolve(requested)
