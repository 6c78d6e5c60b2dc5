"""The opaque ``nextToken``: where to resume, bound to the imageStatus and Region it came from.

The position is an AWS page (its continuation token and the ``MaxResults`` it was read with), an offset in it,
and the id of the raw item just before that offset, so a resume can find its place again when resources
were created or deleted in that AWS page between two requests.

A token is base64url (no padding) of compact JSON followed by a truncated SHA-256 of that JSON. The checksum
catches truncated, mangled or hand-edited tokens; it is not a signature (there is no secret), so a
deliberately forged token can only point at a position of the caller's own listing, and an edited AWS
continuation token is rejected by AWS, which the library reports as an invalid token too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass

from .errors import InvalidTokenError
from .sources import EC2_MAX_PAGE, EC2_MIN_PAGE

# 2: the last consumed resource id and MaxResults were added; older tokens are simply invalid.
_FORMAT_VERSION = 2
_CHECKSUM_BYTES = 8
_MAX_TOKEN_CHARS = 8192
# No AWS page holds more items than this; a larger offset can only come from an edited token.
_MAX_OFFSET = 100_000
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_KEYS = frozenset({"v", "s", "r", "t", "o", "i", "m"})


@dataclass(frozen=True, kw_only=True)
class Cursor:
    """A position in an AWS listing.

    Attributes
    ----------
    max_results:
        The ``MaxResults`` the walk reads AWS pages with (EC2's limits, 5..1000): re-reading a page by its
        continuation token with another value may give a different page. DescribeStacks ignores it.
    aws_token:
        The AWS continuation token that fetches the AWS page being consumed; None for the first page.
    offset:
        How many raw items of that AWS page were already consumed.
    last_id:
        The id (AMI ``ImageId`` or ``StackId``) of the raw item just before ``offset``; None at offset 0.
    """

    max_results: int
    aws_token: str | None = None
    offset: int = 0
    last_id: str | None = None


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(payload).digest()[:_CHECKSUM_BYTES]


def encode_token(image_status: str, region: str, cursor: Cursor) -> str:
    """The ``nextToken`` that resumes listing ``image_status`` in ``region`` at ``cursor``."""
    payload = json.dumps(
        {
            "v": _FORMAT_VERSION,
            "s": image_status,
            "r": region,
            "t": cursor.aws_token,
            "o": cursor.offset,
            "i": cursor.last_id,
            "m": cursor.max_results,
        },
        separators=(",", ":"),
    ).encode()
    return base64.urlsafe_b64encode(payload + _checksum(payload)).rstrip(b"=").decode("ascii")


def decode_token(token: str, *, image_status: str, region: str) -> Cursor:
    """The cursor inside ``token``, checked against the request's ``image_status`` and ``region``.

    Raises
    ------
    InvalidTokenError
        The token is malformed, fails its checksum, or was issued for another imageStatus or Region.
    """
    if len(token) > _MAX_TOKEN_CHARS or _BASE64URL.fullmatch(token) is None:
        raise InvalidTokenError
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidTokenError from None
    payload, checksum = raw[:-_CHECKSUM_BYTES], raw[-_CHECKSUM_BYTES:]
    if len(raw) <= _CHECKSUM_BYTES or not hmac.compare_digest(checksum, _checksum(payload)):
        raise InvalidTokenError
    try:
        fields = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        raise InvalidTokenError from None
    if not isinstance(fields, dict) or set(fields) != _KEYS or fields["v"] != _FORMAT_VERSION:
        raise InvalidTokenError
    aws_token, offset, last_id, max_results = fields["t"], fields["o"], fields["i"], fields["m"]
    if fields["s"] != image_status or fields["r"] != region:
        raise InvalidTokenError
    if not (_is_absent_or_text(aws_token) and _is_absent_or_text(last_id)):
        raise InvalidTokenError
    if not _is_int_within(offset, 0, _MAX_OFFSET):
        raise InvalidTokenError
    if not _is_int_within(max_results, EC2_MIN_PAGE, EC2_MAX_PAGE):
        raise InvalidTokenError
    return Cursor(aws_token=aws_token, offset=offset, last_id=last_id, max_results=max_results)


def _is_absent_or_text(value: object) -> bool:
    return value is None or (isinstance(value, str) and value != "")


def _is_int_within(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
