"""The opaque ``nextToken``: where to resume, bound to the imageStatus and Region it came from.

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

_FORMAT_VERSION = 1
_CHECKSUM_BYTES = 8
_MAX_TOKEN_CHARS = 8192
# No AWS page holds more items than this; a larger offset can only come from an edited token.
_MAX_OFFSET = 100_000
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_KEYS = frozenset({"v", "s", "r", "t", "o"})


@dataclass(frozen=True)
class Cursor:
    """A position in an AWS listing.

    Attributes
    ----------
    aws_token:
        The AWS continuation token that fetches the AWS page being consumed; None for the first page.
    offset:
        How many raw items of that AWS page were already consumed.
    """

    aws_token: str | None = None
    offset: int = 0


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(payload).digest()[:_CHECKSUM_BYTES]


def encode_token(image_status: str, region: str, cursor: Cursor) -> str:
    """The ``nextToken`` that resumes listing ``image_status`` in ``region`` at ``cursor``."""
    payload = json.dumps(
        {"v": _FORMAT_VERSION, "s": image_status, "r": region, "t": cursor.aws_token, "o": cursor.offset},
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
    aws_token, offset = fields["t"], fields["o"]
    if fields["s"] != image_status or fields["r"] != region:
        raise InvalidTokenError
    if not (aws_token is None or (isinstance(aws_token, str) and aws_token)):
        raise InvalidTokenError
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= _MAX_OFFSET:
        raise InvalidTokenError
    return Cursor(aws_token=aws_token, offset=offset)
