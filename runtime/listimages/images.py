"""``list_images``: validate → read AWS pages → map → page. No HTTP knowledge here.

>>> list_images("AVAILABLE")  # doctest: +SKIP
{'images': [{'image_id': 'custom-image', 'ec2_ami_info': {'ami_id': 'ami-abcdef01234567890'},
             'image_build_status': 'BUILD_COMPLETE', 'region': 'us-east-1', 'version': '3.2.1'}]}
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from .errors import (
    ConfigurationError,
    InvalidImageStatusError,
    InvalidInputError,
    InvalidTokenError,
    MissingImageStatusError,
)
from .regions import region_rules
from .sources import (
    AVAILABLE_BUILD_STATUS,
    BUILD_STATUS_TAG,
    IMAGE_ID_TAG,
    VERSION_TAG,
    WORST_CASE_CALL_SECONDS,
    AwsPage,
    describe_images_page,
    describe_stacks_page,
    ec2_max_results,
    translate_aws_error,
)
from .tokens import Cursor, decode_token, encode_token, resume_digest

logger = logging.getLogger(__name__)

IMAGE_STATUSES = ("AVAILABLE", "PENDING", "FAILED")
PAGE_SIZE_VARIABLE = "LIST_IMAGES_PAGE_SIZE"
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000
# Stop starting AWS calls when less than this is left: the last call may take its worst case, and the
# answer still has to be built and returned.
CALL_RESERVE_SECONDS = WORST_CASE_CALL_SECONDS + 1.0

STACK_STATUSES_BY_IMAGE_STATUS: Mapping[str, frozenset[str]] = {
    "PENDING": frozenset({"CREATE_IN_PROGRESS"}),
    "FAILED": frozenset(
        {"CREATE_FAILED", "DELETE_FAILED", "ROLLBACK_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_IN_PROGRESS"}
    ),
}
BUILD_STATUS_BY_STACK_STATUS: Mapping[str, str] = {
    **dict.fromkeys(
        (
            "CREATE_IN_PROGRESS",
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        ),
        "BUILD_IN_PROGRESS",
    ),
    **dict.fromkeys(
        (
            "CREATE_FAILED",
            "ROLLBACK_IN_PROGRESS",
            "ROLLBACK_FAILED",
            "ROLLBACK_COMPLETE",
            "UPDATE_ROLLBACK_FAILED",
            "UPDATE_ROLLBACK_COMPLETE",
        ),
        "BUILD_FAILED",
    ),
    **dict.fromkeys(("CREATE_COMPLETE", "UPDATE_COMPLETE"), "BUILD_COMPLETE"),
    **{status: status for status in ("DELETE_IN_PROGRESS", "DELETE_FAILED", "DELETE_COMPLETE")},
}
# The response schema's imageId pattern: an entry that does not match would break strict clients.
_IMAGE_ID_PATTERN = re.compile(r"[a-zA-Z][a-zA-Z0-9-]+", re.ASCII)

Deadline = Callable[[], float]
"""Returns the seconds left before the answer must be on its way."""
PageReader = Callable[[str, str | None, int], AwsPage]


class EntryKeys(NamedTuple):
    """The key names of an image entry: snake_case for the Python call, camelCase for the JSON API.

    Entries are built once, directly with the caller's names: no intermediate objects, no renaming pass.
    """

    image_id: str
    ec2_ami_info: str
    ami_id: str
    image_build_status: str
    cloudformation_stack_status: str
    cloudformation_stack_arn: str
    region: str
    version: str


SNAKE_CASE = EntryKeys(*EntryKeys._fields)
CAMEL_CASE = EntryKeys(
    image_id="imageId",
    ec2_ami_info="ec2AmiInfo",
    ami_id="amiId",
    image_build_status="imageBuildStatus",
    cloudformation_stack_status="cloudformationStackStatus",
    cloudformation_stack_arn="cloudformationStackArn",
    region="region",
    version="version",
)
ImageEntry = dict[str, Any]


@dataclass
class CallCounter:
    """How many AWS calls a request made (for the request log line)."""

    aws_calls: int = 0


@dataclass
class ImagesPage:
    """One page of the listing, as ``read_images_page`` returns it."""

    images: list[ImageEntry]
    next_token: str | None
    region: str
    aws_calls: int = field(default=0)

    def as_dict(self) -> dict[str, Any]:
        """The library's result: ``images`` always, ``next_token`` when there is one."""
        result: dict[str, Any] = {"images": self.images}
        if self.next_token is not None:
            result["next_token"] = self.next_token
        return result


def configured_page_size() -> int:
    """The deployment's page size (``LIST_IMAGES_PAGE_SIZE``, 1..1000, default 1000)."""
    return _parse_page_size(os.environ.get(PAGE_SIZE_VARIABLE, ""))


# Keyed on the raw value: parsed once per configuration, yet a changed variable takes effect.
@functools.lru_cache(maxsize=16)
def _parse_page_size(raw: str) -> int:
    text = raw.strip()
    if not text:
        return DEFAULT_PAGE_SIZE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise ConfigurationError(f"{PAGE_SIZE_VARIABLE}={text!r} is not an integer in 1..{MAX_PAGE_SIZE}")
    return int(text)


_PARALLELCLUSTER_TAGS = frozenset({IMAGE_ID_TAG, VERSION_TAG, BUILD_STATUS_TAG})


def _tags(resource: Mapping[str, Any]) -> dict[Any, Any]:
    """The ParallelCluster tags of an AMI or stack (only these: an AMI carries about ten tags)."""
    found: dict[Any, Any] = {}
    tags = resource.get("Tags") or ()
    try:
        for tag in tags:  # the fast path: AWS always sends Key and Value
            key = tag["Key"]
            if key in _PARALLELCLUSTER_TAGS:
                found[key] = tag["Value"]
    except (KeyError, TypeError):
        found = {}
        for tag in tags:
            key = tag.get("Key") if isinstance(tag, dict) else None
            if isinstance(key, str) and key in _PARALLELCLUSTER_TAGS:
                found[key] = tag.get("Value")
    return found


def _can_be_entry(image_id: object, version: object, resource_id: object) -> bool:
    """Whether these make a schema-valid entry: a pattern-valid imageId, a version, an AMI/stack id."""
    return (
        isinstance(image_id, str)
        and _IMAGE_ID_PATTERN.fullmatch(image_id) is not None
        and isinstance(version, str)
        and version != ""
        and isinstance(resource_id, str)
    )


EntryMaker = Callable[[Mapping[str, Any]], ImageEntry | None]
"""Turns one raw AWS item into an image entry, or None when the item is not one."""


def ami_entry_maker(region: str, keys: EntryKeys) -> EntryMaker:
    """Maps an AMI to its AVAILABLE entry, or None when it is not one (or cannot be a schema-valid one)."""
    # Built once per request with the key names at hand: one call per AMI, the hot loop of a large page.
    image_id_key, info_key, ami_id_key = keys.image_id, keys.ec2_ami_info, keys.ami_id
    build_status_key, region_key, version_key = keys.image_build_status, keys.region, keys.version

    def make_entry(ami: Mapping[str, Any]) -> ImageEntry | None:
        tags = _tags(ami)
        if IMAGE_ID_TAG not in tags or tags.get(BUILD_STATUS_TAG) != AVAILABLE_BUILD_STATUS:
            return None
        image_id, version, ami_id = tags[IMAGE_ID_TAG], tags.get(VERSION_TAG), ami.get("ImageId")
        if not _can_be_entry(image_id, version, ami_id):
            # The id in the message too: plain-text log formats drop the extra fields.
            logger.warning(
                "Skipped AMI %s: it cannot yield a schema-valid image", ami_id, extra={"amiId": ami_id}
            )
            return None
        return {
            image_id_key: image_id,
            info_key: {ami_id_key: ami_id},
            build_status_key: "BUILD_COMPLETE",
            region_key: region,
            version_key: version,
        }

    return make_entry


def stack_entry_maker(region: str, keys: EntryKeys, stack_statuses: frozenset[str]) -> EntryMaker:
    """Maps a top-level image-builder stack whose status is in ``stack_statuses`` to its PENDING/FAILED entry,
    or None for any other stack."""
    image_id_key, build_status_key = keys.image_id, keys.image_build_status
    stack_status_key, stack_arn_key = keys.cloudformation_stack_status, keys.cloudformation_stack_arn
    region_key, version_key = keys.region, keys.version

    def make_entry(stack: Mapping[str, Any]) -> ImageEntry | None:
        status = stack.get("StackStatus")
        if stack.get("ParentId") or status not in stack_statuses:
            return None
        tags = _tags(stack)
        if IMAGE_ID_TAG not in tags:
            return None  # not an image build (a cluster or any other stack)
        image_id, version, stack_arn = tags[IMAGE_ID_TAG], tags.get(VERSION_TAG), stack.get("StackId")
        if not _can_be_entry(image_id, version, stack_arn):
            logger.warning(
                "Skipped stack %s: it cannot yield a schema-valid image",
                stack_arn,
                extra={"stackArn": stack_arn},
            )
            return None
        return {
            image_id_key: image_id,
            build_status_key: BUILD_STATUS_BY_STACK_STATUS[str(status)],
            stack_status_key: status,
            stack_arn_key: stack_arn,
            region_key: region,
            version_key: version,
        }

    return make_entry


class _Source(NamedTuple):
    fetch: PageReader
    to_entry: EntryMaker
    id_key: str  # the raw item's unique id, whose digest a token records to find its place again


def _source_for(image_status: str, region: str, keys: EntryKeys) -> _Source:
    if image_status == "AVAILABLE":
        return _Source(describe_images_page, ami_entry_maker(region, keys), "ImageId")
    statuses = STACK_STATUSES_BY_IMAGE_STATUS[image_status]
    return _Source(describe_stacks_page, stack_entry_maker(region, keys, statuses), "StackId")


def _resource_id(item: Mapping[str, Any], id_key: str) -> str | None:
    value = item.get(id_key)
    return value if isinstance(value, str) and value else None


def _resume_index(items: Sequence[Mapping[str, Any]], cursor: Cursor, id_key: str) -> int:
    """Where to continue in a re-read AWS page: right after the last raw item consumed, wherever it is now
    (the token knows that item by the digest of its id only)."""
    offset, last_digest = cursor.offset, cursor.last_digest
    if last_digest is None or (
        0 < offset <= len(items) and _digest_of(items[offset - 1], id_key) == last_digest
    ):
        return offset  # the common case: nothing changed before the resume point
    for index, item in enumerate(items):
        if _digest_of(item, id_key) == last_digest:
            return index + 1  # resources were created or deleted before the resume point
    # The last item consumed is gone itself, most likely a build that finished (its stack is deleted): assume
    # it is the one that left, so the walk goes on exactly; a repeat is also the safer error than a skip.
    return max(offset - 1, 0)


def _digest_of(item: Mapping[str, Any], id_key: str) -> str | None:
    resource_id = _resource_id(item, id_key)
    return None if resource_id is None else resume_digest(resource_id)


def validate_image_status(image_status: object) -> str:
    """``image_status`` if it is one of ``IMAGE_STATUSES``; else the contract's missing/invalid error."""
    if image_status is None:
        raise MissingImageStatusError
    if not isinstance(image_status, str) or image_status not in IMAGE_STATUSES:
        raise InvalidImageStatusError(str(image_status), IMAGE_STATUSES)
    return image_status


def read_images_page(
    image_status: str | None,
    region: str | None = None,
    next_token: str | None = None,
    *,
    page_size: int | None = None,
    deadline: Deadline | None = None,
    counter: CallCounter | None = None,
    keys: EntryKeys = SNAKE_CASE,
) -> ImagesPage:
    """One page of images with its AWS call count; see ``list_images`` for the arguments and errors.

    ``counter`` (optional) is incremented for every AWS call, also when the request then fails.
    ``keys`` names the entries' fields (``SNAKE_CASE`` or ``CAMEL_CASE``).
    """
    status = validate_image_status(image_status)
    rules = region_rules()
    resolved_region = rules.resolve(region or None)
    if next_token is not None and not isinstance(next_token, str):
        raise InvalidTokenError
    resumed = decode_token(next_token, image_status=status, region=resolved_region) if next_token else None
    size = configured_page_size() if page_size is None else page_size
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidInputError(f"page_size must be an integer in 1..{MAX_PAGE_SIZE}")
    calls = counter or CallCounter()
    source = _source_for(status, resolved_region, keys)
    home = rules.home
    # A walk keeps the MaxResults it started with, whatever the page size now: AWS pages stay the same.
    cursor = resumed or Cursor(max_results=ec2_max_results(size))
    max_results = cursor.max_results

    images: list[ImageEntry] = []
    while True:
        if deadline is not None and deadline() < CALL_RESERVE_SECONDS:
            # Out of time: answer with what we have; the token resumes exactly here.
            break
        calls.aws_calls += 1
        try:
            page = source.fetch(resolved_region, cursor.aws_token, max_results)
        except (ClientError, BotoCoreError) as error:
            raise translate_aws_error(
                error, region=resolved_region, home_region=home, had_token=cursor.aws_token is not None
            ) from error
        items, start = page.items, _resume_index(page.items, cursor, source.id_key)
        if len(items) - start <= size - len(images):
            # The rest of this AWS page cannot overflow the page: map it in one pass, no per-item checks.
            images.extend(filter(None, map(source.to_entry, items[start:])))
        else:
            for index in range(start, len(items)):
                entry = source.to_entry(items[index])
                if entry is None:
                    continue
                if len(images) == size:
                    # The page is full and one more image exists: resume at it, inside this AWS page.
                    last_digest = _digest_of(items[index - 1], source.id_key) if index else None
                    resume = Cursor(
                        aws_token=cursor.aws_token,
                        offset=index,
                        last_digest=last_digest,
                        max_results=max_results,
                    )
                    return _page(images, status, resolved_region, resume, calls)
                images.append(entry)
        if page.next_token is None:
            return _page(images, status, resolved_region, None, calls)
        cursor = Cursor(aws_token=page.next_token, max_results=max_results)
        if len(images) == size:
            break
    return _page(images, status, resolved_region, cursor, calls)


def _page(
    images: list[ImageEntry], image_status: str, region: str, resume: Cursor | None, calls: CallCounter
) -> ImagesPage:
    token = None if resume is None else encode_token(image_status, region, resume)
    return ImagesPage(images=images, next_token=token, region=region, aws_calls=calls.aws_calls)


def list_images(
    image_status: str,
    region: str | None = None,
    next_token: str | None = None,
    *,
    page_size: int | None = None,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    """List ParallelCluster custom images of one build status, one page at a time.

    Parameters
    ----------
    image_status:
        ``"AVAILABLE"`` (finished images, from EC2 AMIs), ``"PENDING"`` or ``"FAILED"`` (builds, from
        CloudFormation stacks). Case-sensitive.
    region:
        The Region to list; None or empty = the Region the code runs in (``AWS_REGION``).
    next_token:
        The ``next_token`` of a previous result for the same status and Region; None or empty = first page.
    page_size:
        At most this many images per page (1..1000); None = ``LIST_IMAGES_PAGE_SIZE`` or 1000.
    deadline:
        Returns the seconds left; reading stops early enough to return in time, with a ``next_token``.
        None = read until the page is full or the listing ends.

    Returns
    -------
    dict
        ``{"images": [...], "next_token": "..."}`` with snake_case keys; ``next_token`` only when more may
        follow.

    Raises
    ------
    InvalidInputError
        A bad status, Region or token (subclasses say which), or a Region that is not enabled/reachable.
    ThrottledError
        AWS throttled the calls beyond the client's retries.
    UpstreamError
        Any other AWS failure (access denied, AWS 5xx, timeouts).
    """
    return read_images_page(
        image_status, region, next_token, page_size=page_size, deadline=deadline
    ).as_dict()
