"""Real ``nextToken`` values from walks of the listings, and hostile ones made from them.

A token is base64url (no padding) of a payload followed by the first 8 bytes of its SHA-256: the checksum has
no secret, so anybody can forge a token with a valid checksum around any payload (the issue's recipe).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_CHECKSUM_BYTES = 8
_BASE64URL_ALPHABET = string.ascii_letters + string.digits + "-_"


@dataclass(frozen=True)
class HarvestedToken:
    """A token a listing really gave out, and the listing it belongs to."""

    token: str
    image_status: str
    region: str


def checksummed(payload: bytes) -> str:
    """A token around ``payload`` with a valid checksum, as only the function should make them."""
    checksum = hashlib.sha256(payload).digest()[:_CHECKSUM_BYTES]
    return base64.urlsafe_b64encode(payload + checksum).rstrip(b"=").decode("ascii")


def payload_of(token: str) -> bytes:
    """The payload inside a token (its bytes before the checksum)."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return raw[:-_CHECKSUM_BYTES]


def decoded_text(token: str) -> str:
    """What a token reveals to whoever decodes its base64 (empty if it is not base64url)."""
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("latin-1")
    except ValueError:
        return ""


class HostileTokens:
    """Hostile ``nextToken`` values derived from ``harvested`` real ones, chosen by ``rng``."""

    def __init__(self, rng: random.Random, harvested: list[HarvestedToken]) -> None:
        if not harvested:
            raise ValueError("no token was harvested: the listings need more images than one page")
        self._rng = rng
        self.harvested = harvested
        self._makers: list[Callable[[HarvestedToken], str]] = [
            self._real,
            self._truncated,
            self._one_character_changed,
            self._extended,
            self._edited_field,
            self._forged_aws_token,
            self._deeply_nested,
            self._huge,
            self._not_base64,
            self._padded,
            self._empty_json,
        ]

    def any(self) -> tuple[str, HarvestedToken]:
        """A hostile (or real) token, and the real one it was made from."""
        base = self._rng.choice(self.harvested)
        return self._rng.choice(self._makers)(base), base

    def _real(self, base: HarvestedToken) -> str:
        return base.token

    def _truncated(self, base: HarvestedToken) -> str:
        return base.token[: self._rng.randrange(0, len(base.token))]

    def _one_character_changed(self, base: HarvestedToken) -> str:
        position = self._rng.randrange(len(base.token))
        return base.token[:position] + self._rng.choice(_BASE64URL_ALPHABET) + base.token[position + 1 :]

    def _extended(self, base: HarvestedToken) -> str:
        return base.token + "".join(self._rng.choices(_BASE64URL_ALPHABET, k=self._rng.randrange(1, 40)))

    def _edited_field(self, base: HarvestedToken) -> str:
        """The real payload with one field changed, and a valid checksum: only the content can refuse it."""
        try:
            fields: dict[str, Any] = json.loads(payload_of(base.token))
        except ValueError:
            return base.token
        key = self._rng.choice(sorted(fields) or ["x"])
        fields[key] = self._rng.choice(
            [
                None, True, -1, 0, 2**63, 10**400 if self._rng.random() < 0.1 else 99_999, 1.5, "", "x",
                "A" * 5000, [], {}, {"nested": [1, 2]}, "\u00e9\u0000\ud7ff", fields.get(key),
                "AVAILABLE", "PENDING", "FAILED", "us-east-1", "eu-west-1", "us-east-7",
            ]
        )  # fmt: skip
        return checksummed(json.dumps(fields, separators=(",", ":")).encode())

    def _forged_aws_token(self, base: HarvestedToken) -> str:
        """The real payload carrying an AWS continuation token AWS never issued."""
        try:
            fields: dict[str, Any] = json.loads(payload_of(base.token))
        except ValueError:
            return base.token
        fields["t"] = self._rng.choice(
            [
                "forged",
                "arn:aws:cloudformation:us-east-1:000000000000:stack/x/y",
                "eyJ9",
                "\u00e9" * 30,
                "T" * 900,
            ]
        )
        return checksummed(json.dumps(fields, separators=(",", ":")).encode())

    def _deeply_nested(self, base: HarvestedToken) -> str:
        depth = self._rng.choice([100, 1200, 5000])
        opener = self._rng.choice([b"[", b'{"a":', b'{"v":3,"s":['])
        return checksummed(opener * depth)

    def _huge(self, base: HarvestedToken) -> str:
        size = self._rng.choice([8193, 20_000, 100_000])
        return checksummed(b'{"t":"' + b"x" * size + b'"}')

    def _not_base64(self, base: HarvestedToken) -> str:
        return self._rng.choice(["%%%", "a b", "\u00e9\u00e9", "..", "a+b/c=", "\u200b", "-" * 3, "*"])

    def _padded(self, base: HarvestedToken) -> str:
        return base.token + "=" * self._rng.randrange(1, 3)

    def _empty_json(self, base: HarvestedToken) -> str:
        return checksummed(self._rng.choice([b"{}", b"[]", b"null", b'"x"', b"1e999", b"\xff\xfe", b""]))
