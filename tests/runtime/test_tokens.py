"""tokens.py: a token round-trips, is bound to its imageStatus and Region, and rejects any alteration."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from listimages.errors import InvalidTokenError
from listimages.tokens import Cursor, decode_token, encode_token


@pytest.mark.parametrize(
    "cursor",
    [
        Cursor(max_results=5),
        Cursor(aws_token="aws-token", max_results=1000),
        Cursor(aws_token="eyJ2IjoxfQ==/+&?", offset=17, last_id="ami-0123456789abcdef0", max_results=17),
        Cursor(offset=999, last_id="arn:aws:cloudformation:eu-west-1:123456789012:stack/b/1", max_results=6),
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
        "PENDING", "eu-west-1", Cursor(aws_token="aws-token", offset=3, last_id="ami-1", max_results=5)
    )

    # When it is used with another status or Region, then it is invalid
    with pytest.raises(InvalidTokenError):
        decode_token(token, image_status=image_status, region=region)


def test_every_single_character_edit_is_rejected() -> None:
    # Given a valid token
    token = encode_token(
        "FAILED", "us-east-1", Cursor(aws_token="next-page", offset=42, last_id="ami-1", max_results=50)
    )

    # When any one character is replaced, then decoding fails
    for index in range(len(token)):
        replacement = "A" if token[index] != "A" else "B"
        edited = token[:index] + replacement + token[index + 1 :]
        with pytest.raises(InvalidTokenError):
            decode_token(edited, image_status="FAILED", region="us-east-1")


def _forged(fields: object) -> str:
    # A token with a valid checksum over arbitrary JSON: what a naive forger who read this code would make.
    payload = json.dumps(fields, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload + hashlib.sha256(payload).digest()[:8]).rstrip(b"=").decode()


_FIELDS = {"s": "PENDING", "r": "us-east-1", "t": None, "o": 0, "i": None, "m": 5}
_V2 = {"v": 2, **_FIELDS}


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
        _forged({"v": 3, **_FIELDS}),
        _forged({"v": 1, "s": "PENDING", "r": "us-east-1", "t": None, "o": 0}),  # the format before 2
        _forged({"v": 2, "s": "PENDING", "r": "us-east-1", "t": None, "o": 0, "i": None}),
        _forged({**_V2, "o": -1}),
        _forged({**_V2, "o": True}),
        _forged({**_V2, "o": 10**9}),
        _forged({**_V2, "t": ""}),
        _forged({**_V2, "t": 5}),
        _forged({**_V2, "i": ""}),
        _forged({**_V2, "i": 5}),
        _forged({**_V2, "m": 4}),
        _forged({**_V2, "m": 1001}),
        _forged({**_V2, "m": None}),
        _forged({**_V2, "m": True}),
        _forged({**_V2, "x": 1}),
    ],
)
def test_malformed_tokens_are_invalid(token: str) -> None:
    # When a malformed or off-format token is decoded, then it is invalid (never another error)
    with pytest.raises(InvalidTokenError):
        decode_token(token, image_status="PENDING", region="us-east-1")


def test_a_forged_but_well_formed_token_decodes() -> None:
    # Given a token built by hand with the right format (there is no secret, so this is possible)
    token = _forged({**_V2, "t": "x", "o": 1, "i": "ami-1", "m": 7})

    # Then it decodes: only AWS can reject its continuation token (tested in test_faults)
    assert decode_token(token, image_status="PENDING", region="us-east-1") == Cursor(
        aws_token="x", offset=1, last_id="ami-1", max_results=7
    )
