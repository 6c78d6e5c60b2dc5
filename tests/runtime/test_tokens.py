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
    [Cursor(), Cursor("aws-token", 0), Cursor("eyJ2IjoxfQ==/+&?", 17), Cursor(None, 999)],
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
    token = encode_token("PENDING", "eu-west-1", Cursor("aws-token", 3))

    # When it is used with another status or Region, then it is invalid
    with pytest.raises(InvalidTokenError):
        decode_token(token, image_status=image_status, region=region)


def test_every_single_character_edit_is_rejected() -> None:
    # Given a valid token
    token = encode_token("FAILED", "us-east-1", Cursor("next-page", 42))

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
        _forged({"v": 2, "s": "PENDING", "r": "us-east-1", "t": None, "o": 0}),
        _forged({"v": 1, "s": "PENDING", "r": "us-east-1", "t": None}),
        _forged({"v": 1, "s": "PENDING", "r": "us-east-1", "t": None, "o": -1}),
        _forged({"v": 1, "s": "PENDING", "r": "us-east-1", "t": None, "o": True}),
        _forged({"v": 1, "s": "PENDING", "r": "us-east-1", "t": None, "o": 10**9}),
        _forged({"v": 1, "s": "PENDING", "r": "us-east-1", "t": "", "o": 0}),
        _forged({"v": 1, "s": "PENDING", "r": "us-east-1", "t": 5, "o": 0}),
        _forged({"v": 1, "s": "PENDING", "r": "us-east-1", "t": None, "o": 0, "x": 1}),
    ],
)
def test_malformed_tokens_are_invalid(token: str) -> None:
    # When a malformed or off-format token is decoded, then it is invalid (never another error)
    with pytest.raises(InvalidTokenError):
        decode_token(token, image_status="PENDING", region="us-east-1")


def test_a_forged_but_well_formed_token_decodes() -> None:
    # Given a token built by hand with the right format (there is no secret, so this is possible)
    token = _forged({"v": 1, "s": "PENDING", "r": "us-east-1", "t": "x", "o": 1})

    # Then it decodes: only AWS can reject its continuation token (tested in test_faults)
    assert decode_token(token, image_status="PENDING", region="us-east-1") == Cursor("x", 1)
