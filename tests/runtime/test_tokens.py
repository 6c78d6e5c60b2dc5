"""tokens.py: a token round-trips, is bound to its imageStatus and Region, rejects any alteration whatever its
bytes, and never carries a resource id."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from listimages.errors import InvalidTokenError, UpstreamError
from listimages.tokens import MAX_TOKEN_CHARS, Cursor, decode_token, encode_token, resume_digest

from tests.runtime.support import interpreter_recursion_limit

STACK_ARN = "arn:aws:cloudformation:eu-west-1:123456789012:stack/acme-payroll-db-prod/1"


@pytest.mark.parametrize(
    "cursor",
    [
        Cursor(max_results=5),
        Cursor(aws_token="aws-token", max_results=1000),
        Cursor(aws_token="eyJ2IjoxfQ==/+&?", offset=17, last_digest=resume_digest("ami-1"), max_results=17),
        Cursor(offset=999, last_digest=resume_digest(STACK_ARN), max_results=6),
    ],
)
def test_token_round_trips_its_cursor(cursor: Cursor) -> None:
    # Given a token for a position
    token = encode_token("PENDING", "eu-west-1", cursor)

    # When it is decoded for the same status and Region
    decoded = decode_token(token, image_status="PENDING", region="eu-west-1")

    # Then the position comes back, and the token is URL-safe
    assert decoded == cursor
    assert token.replace("-", "").replace("_", "").isalnum()


@pytest.mark.parametrize(
    ("image_status", "region"),
    [("FAILED", "eu-west-1"), ("AVAILABLE", "eu-west-1"), ("PENDING", "us-east-1")],
)
def test_token_is_bound_to_status_and_region(image_status: str, region: str) -> None:
    # Given a token issued for PENDING in eu-west-1
    token = encode_token(
        "PENDING",
        "eu-west-1",
        Cursor(aws_token="aws-token", offset=3, last_digest=resume_digest("ami-1"), max_results=5),
    )

    # When it is used with another status or Region, then it is invalid
    with pytest.raises(InvalidTokenError):
        decode_token(token, image_status=image_status, region=region)


def test_every_single_character_edit_is_rejected() -> None:
    # Given a valid token
    token = encode_token(
        "FAILED",
        "us-east-1",
        Cursor(aws_token="next-page", offset=42, last_digest=resume_digest("ami-1"), max_results=50),
    )

    # When any one character is replaced, then decoding fails
    for index in range(len(token)):
        replacement = "A" if token[index] != "A" else "B"
        edited = token[:index] + replacement + token[index + 1 :]
        with pytest.raises(InvalidTokenError):
            decode_token(edited, image_status="FAILED", region="us-east-1")


def _signed(payload: bytes) -> str:
    # base64url with a valid checksum over any bytes: the checksum has no secret, anyone can make these
    return base64.urlsafe_b64encode(payload + hashlib.sha256(payload).digest()[:8]).rstrip(b"=").decode()


def _forged(fields: object) -> str:
    # A token with a valid checksum over arbitrary JSON: what a naive forger who read this code would make.
    return _signed(json.dumps(fields, separators=(",", ":")).encode())


DIGEST = resume_digest("ami-1")
_FIELDS = {"s": "PENDING", "r": "us-east-1", "t": None, "o": 0, "d": None, "m": 5}
_V3 = {"v": 3, **_FIELDS}


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not a token",
        "abc",
        "A" * 9000,
        "====",
        "ü",
        _forged([1, 2]),
        _forged({"v": 4, **_FIELDS}),
        _forged({"v": 1, "s": "PENDING", "r": "us-east-1", "t": None, "o": 0}),  # format 1
        _forged({"v": 2, "s": "PENDING", "r": "us-east-1", "t": None, "o": 0, "i": None, "m": 5}),  # format 2
        _forged({"v": 2, **_FIELDS}),
        _forged({"v": 3, "s": "PENDING", "r": "us-east-1", "t": None, "o": 0, "i": None, "m": 5}),
        _forged({"v": 3, "s": "PENDING", "r": "us-east-1", "t": None, "o": 0, "d": None}),
        _forged({**_V3, "o": -1}),
        _forged({**_V3, "o": True}),
        _forged({**_V3, "o": 10**9}),
        _forged({**_V3, "t": ""}),
        _forged({**_V3, "t": 5}),
        _forged({**_V3, "d": ""}),
        _forged({**_V3, "d": 5}),
        _forged({**_V3, "d": "ami-1"}),  # a raw id where a digest belongs
        _forged({**_V3, "d": DIGEST + "A"}),
        _forged({**_V3, "d": DIGEST[:-1] + "="}),
        _forged({**_V3, "m": 4}),
        _forged({**_V3, "m": 1001}),
        _forged({**_V3, "m": None}),
        _forged({**_V3, "m": True}),
        _forged({**_V3, "x": 1}),
        # Valid checksums over bytes that are not the ASCII JSON this module writes
        _signed(b"\xff\xfe{}"),
        _signed(json.dumps(_V3, ensure_ascii=False).encode("utf-16")),
        _signed(json.dumps({**_V3, "t": "\u00e9"}, ensure_ascii=False).encode()),
        _signed(b"1" * 5000),  # an integer beyond Python's conversion limit
    ],
)
def test_malformed_tokens_are_invalid(token: str) -> None:
    # When a malformed or off-format token is decoded, then it is invalid (never another error)
    with pytest.raises(InvalidTokenError):
        decode_token(token, image_status="PENDING", region="us-east-1")


@pytest.mark.parametrize(
    "payload",
    [b"[" * 1200, b'{"a":' * 1200, b'{"v":3,"s":' + b"[" * 5000, b"[" * 6000],
    ids=["arrays", "objects", "inside-a-field", "as-deep-as-the-length-cap-allows"],
)
def test_deeply_nested_tokens_are_invalid_not_a_recursion_error(payload: bytes) -> None:
    # Given a forged token whose checksum is right over deeply nested JSON (issue 11: it was a 500)
    token = _signed(payload)
    assert len(token) <= MAX_TOKEN_CHARS

    # When it is decoded with the interpreter's default recursion limit (Lambda's; pytest may not have it)
    with interpreter_recursion_limit(), pytest.raises(InvalidTokenError):
        decode_token(token, image_status="PENDING", region="us-east-1")


def test_a_token_holds_a_digest_of_the_last_resource_never_its_id() -> None:
    # Given a position right after a stack the API does not list
    cursor = Cursor(aws_token="aws-page", offset=2, last_digest=resume_digest(STACK_ARN), max_results=5)

    # When it becomes a token
    token = encode_token("FAILED", "eu-west-1", cursor)

    # Then neither the ARN nor any part of it can be read back from the token's bytes
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for part in (STACK_ARN, "acme-payroll-db-prod", "123456789012"):
        assert part.encode() not in raw
    assert decode_token(token, image_status="FAILED", region="eu-west-1") == cursor


def test_the_digest_tells_ids_apart_and_is_stable() -> None:
    assert resume_digest(STACK_ARN) == resume_digest(STACK_ARN)
    assert resume_digest("ami-0123456789abcdef0") != resume_digest("ami-0123456789abcdef1")
    assert len(resume_digest(STACK_ARN)) == 12


def test_the_longest_real_token_fits_the_length_cap() -> None:
    # Given the largest position the function can issue: a Region of 63 characters (a host label), the largest
    # offset, and an AWS continuation token four times CloudFormation's documented maximum (1,024)
    cursor = Cursor(aws_token="t" * 4096, offset=100_000, last_digest=DIGEST, max_results=1000)

    # When it becomes a token, then it is within the cap and decodes
    token = encode_token("AVAILABLE", "r" * 63, cursor)
    assert len(token) <= MAX_TOKEN_CHARS
    assert decode_token(token, image_status="AVAILABLE", region="r" * 63) == cursor


def test_a_token_the_function_would_refuse_is_never_issued() -> None:
    # Given an AWS continuation token too long for any nextToken within the cap
    cursor = Cursor(aws_token="t" * MAX_TOKEN_CHARS, max_results=5)

    # Then encoding fails (a server-side error) instead of handing out a token that is a 400 next time
    with pytest.raises(UpstreamError):
        encode_token("PENDING", "us-east-1", cursor)


def test_a_forged_but_well_formed_token_decodes() -> None:
    # Given a token built by hand with the right format (there is no secret, so this is possible)
    token = _forged({**_V3, "t": "x", "o": 1, "d": DIGEST, "m": 7})

    # Then it decodes: only AWS can reject its continuation token (tested in test_faults)
    assert decode_token(token, image_status="PENDING", region="us-east-1") == Cursor(
        aws_token="x", offset=1, last_digest=DIGEST, max_results=7
    )
