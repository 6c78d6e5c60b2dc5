"""The opaque ``nextToken``: where to resume, bound to the imageStatus and Region it came from.

The position is an AWS page (its continuation token and the ``MaxResults`` it was read with), an offset in it,
and a digest of the id of the raw item just before that offset, so a resume can find its place again when
resources were created or deleted in that AWS page between two requests. The id itself is never in the token:
that raw item may be a resource the API does not list (any stack of the Region), and a token reveals nothing
the listing does not.

A token is base64url (no padding) of compact ASCII JSON followed by a truncated SHA-256 of that JSON. The
checksum catches truncated, mangled or hand-edited tokens; it is not a signature (there is no secret), so a
deliberately forged token can only point at a position of the caller's own listing, and an edited AWS
continuation token is rejected by AWS, which the library reports as an invalid token too. Whatever its bytes
(any length, nesting or encoding), a token that is not one this module issued is an ``InvalidTokenError``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass

from .errors import InvalidTokenError, UpstreamError
from .sources import EC2_MAX_PAGE, EC2_MIN_PAGE

# 3: the last consumed resource is kept as a digest of its id, not the id; older tokens are simply invalid.
_FORMAT_VERSION = 3
_CHECKSUM_BYTES = 8
# 9 bytes = 12 base64url characters: a collision between two ids of one AWS page (1,000 at most) is a
# 1-in-10^18 event, and the token stays short.
_DIGEST_BYTES = 9
_DIGEST = re.compile(r"[A-Za-z0-9_-]{12}", re.ASCII)
# Longer tokens are refused before any decoding, so a huge one costs a length check. The fields besides the
# AWS continuation token take at most ~140 bytes (a Region is a host label of 63 characters at most), which
# leaves ~5,900 characters for that token: CloudFormation documents 1,024 at most, EC2's are a few hundred.
MAX_TOKEN_CHARS = 8192
# No AWS page holds more items than this; a larger offset can only come from an edited token.
_MAX_OFFSET = 100_000
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_KEYS = frozenset({"v", "s", "r", "t", "o", "d", "m"})


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
    last_digest:
        ``resume_digest`` of the id (AMI ``ImageId`` or ``StackId``) of the raw item just before ``offset``;
        None at offset 0.
    """

    max_results: int
    aws_token: str | None = None
    offset: int = 0
    last_digest: str | None = None


def resume_digest(resource_id: str) -> str:
    """How a token refers to a raw AWS item (AMI ``ImageId`` or ``StackId``): a short digest of its id, which
    finds the same item when a page is read again and reveals nothing of an item the API does not list."""
    digest = hashlib.sha256(resource_id.encode("utf-8", "surrogatepass")).digest()[:_DIGEST_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(payload).digest()[:_CHECKSUM_BYTES]


def encode_token(image_status: str, region: str, cursor: Cursor) -> str:
    """The ``nextToken`` that resumes listing ``image_status`` in ``region`` at ``cursor``.

    Raises
    ------
    UpstreamError
        AWS gave a continuation token so long that the ``nextToken`` would exceed ``MAX_TOKEN_CHARS``: better
        a failure now than a token that this module would refuse on the next request.
    """
    payload = json.dumps(  # ensure_ascii (the default): the payload is ASCII, which decode_token requires
        {
            "v": _FORMAT_VERSION,
            "s": image_status,
            "r": region,
            "t": cursor.aws_token,
            "o": cursor.offset,
            "d": cursor.last_digest,
            "m": cursor.max_results,
        },
        separators=(",", ":"),
    ).encode("ascii")
    token = base64.urlsafe_b64encode(payload + _checksum(payload)).rstrip(b"=").decode("ascii")
    if len(token) > MAX_TOKEN_CHARS:
        raise UpstreamError(
            f"the AWS continuation token is too long for a nextToken ({len(token)} characters)"
        )
    return token


def decode_token(token: str, *, image_status: str, region: str) -> Cursor:
    """The cursor inside ``token``, checked against the request's ``image_status`` and ``region``.

    Raises
    ------
    InvalidTokenError
        The token is malformed (whatever its length, nesting or encoding), fails its checksum, has another
        format version, or was issued for another imageStatus or Region.
    """
    if len(token) > MAX_TOKEN_CHARS or _BASE64URL.fullmatch(token) is None:
        raise InvalidTokenError
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidTokenError from None
    payload, checksum = raw[:-_CHECKSUM_BYTES], raw[-_CHECKSUM_BYTES:]
    if len(raw) <= _CHECKSUM_BYTES or not hmac.compare_digest(checksum, _checksum(payload)):
        raise InvalidTokenError
    try:
        # The checksum has no secret: a forger controls these bytes, deeply nested JSON included, which the
        # parser refuses with a RecursionError.
        fields = json.loads(payload.decode("ascii"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidTokenError from None
    if not isinstance(fields, dict) or set(fields) != _KEYS or fields["v"] != _FORMAT_VERSION:
        raise InvalidTokenError
    aws_token, offset, last_digest, max_results = fields["t"], fields["o"], fields["d"], fields["m"]
    if fields["s"] != image_status or fields["r"] != region:
        raise InvalidTokenError
    if not _is_absent_or_text(aws_token):
        raise InvalidTokenError
    if last_digest is not None and not (isinstance(last_digest, str) and _DIGEST.fullmatch(last_digest)):
        raise InvalidTokenError
    if not _is_int_within(offset, 0, _MAX_OFFSET):
        raise InvalidTokenError
    if not _is_int_within(max_results, EC2_MIN_PAGE, EC2_MAX_PAGE):
        raise InvalidTokenError
    return Cursor(aws_token=aws_token, offset=offset, last_digest=last_digest, max_results=max_results)


def _is_absent_or_text(value: object) -> bool:
    return value is None or (isinstance(value, str) and value != "")


def _is_int_within(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
