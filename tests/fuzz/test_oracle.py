"""The fuzz's judge can fail: it flags 5xx, non-JSON bodies, leaks and off-schema pages, and lets through
what a request carried itself."""

from __future__ import annotations

import base64
import json

import pytest

from fuzz.oracle import judge_http, judge_proxy_response, leaks, mentions_of
from fuzz.tokens import checksummed, decoded_text, payload_of

_JSON = "application/json"


def _kinds(problems: list[tuple[str, str]]) -> list[str]:
    return [kind for kind, _ in problems]


@pytest.mark.parametrize(
    "message",
    [
        'Traceback (most recent call last):\n  File "/var/task/listimages/handler.py", line 9',
        "User: arn:aws:sts::123456789012:assumed-role/Fn/x is not authorized",
        "failed for account 123456789012",
        "see /work/wt/h11-local/runtime/listimages/images.py",
        "KeyError: 'us-east-7'",
        "<class 'ValueError'>",
        "botocore said no",
    ],
    ids=["traceback", "arn", "account-id", "file-path", "class-name", "class-repr", "module-name"],
)
def test_a_message_revealing_internals_is_a_leak(message: str) -> None:
    # given/when: a 400 whose message reveals something the request did not carry
    problems = judge_http(400, _JSON, json.dumps({"message": message}).encode(), mentions_of(["/prod/x?a=b"]))

    # then: flagged
    assert "leak" in _kinds(problems)


def test_what_the_request_carried_may_be_echoed() -> None:
    # given: a request whose imageStatus is an ARN with an account id (percent-encoded in the URL)
    sent = "/prod/images/custom?imageStatus=arn%3Aaws%3Aiam%3A%3A123456789012%3Aroot"
    message = "Bad Request: 'arn:aws:iam::123456789012:root' is not one of ['AVAILABLE', 'PENDING', 'FAILED']"

    # when/then: echoing it back is no leak
    assert judge_http(400, _JSON, json.dumps({"message": message}).encode(), mentions_of([sent])) == []


@pytest.mark.parametrize(
    ("status", "content_type", "body", "kind"),
    [
        (500, _JSON, b'{"message": "Internal server error"}', "5xx"),
        (502, _JSON, b"{}", "5xx"),
        (400, "text/html;charset=utf-8", b"<html>Bad request</html>", "not JSON"),
        (400, _JSON, b"<html>", "not JSON"),
        (400, _JSON, b'{"message": "x", "detail": "y"}', "not JSON"),
        (400, _JSON, b'{"message": 5}', "not JSON"),
        (400, _JSON, b'["message"]', "not JSON"),
        (200, _JSON, b'{"images": {}}', "not JSON"),
        (200, _JSON, b'{"images": [{"imageId": "a", "secret": 1}]}', "not JSON"),
        (200, _JSON, b'{"images": [], "nextToken": 5}', "not JSON"),
    ],
    ids=[
        "500", "502", "html", "html-labelled-json", "extra-key", "message-not-text", "array",
        "images-not-list", "entry-off-schema", "token-not-text",
    ],
)  # fmt: skip
def test_server_errors_and_bodies_off_the_contract_are_flagged(
    status: int, content_type: str, body: bytes, kind: str
) -> None:
    # given/when/then
    assert kind in _kinds(judge_http(status, content_type, body, mentions_of([""])))


def test_a_page_may_list_stack_arns_but_its_token_must_not_carry_one() -> None:
    # given: a page listing a stack (its ARN is the contract's content), with a clean token and with a token
    # whose decoded payload holds a stack ARN (what issue 11's defect 3 was)
    image = {
        "imageId": "img",
        "imageBuildStatus": "BUILD_FAILED",
        "cloudformationStackStatus": "CREATE_FAILED",
        "cloudformationStackArn": "arn:aws:cloudformation:us-east-1:123456789012:stack/img/1",
        "region": "us-east-1",
        "version": "3.9.0",
    }
    clean = checksummed(b'{"v":3,"d":"AAAAAAAAAAAA"}')
    revealing = checksummed(b'{"i":"arn:aws:cloudformation:us-east-1:123456789012:stack/payroll-db/2"}')

    # when: both pages are judged
    fine = judge_http(200, _JSON, json.dumps({"images": [image], "nextToken": clean}).encode(), [])
    leaking = judge_http(200, _JSON, json.dumps({"images": [image], "nextToken": revealing}).encode(), [])

    # then: only the revealing token is a leak
    assert fine == []
    assert "leak" in _kinds(leaking)


def test_a_handler_response_is_judged_like_an_http_answer() -> None:
    # given/when: the handler's own proxy responses
    sound = {"statusCode": 400, "headers": {"Content-Type": _JSON}, "body": '{"message": "Bad Request: x"}'}
    failed = {"statusCode": 500, "headers": {"Content-Type": _JSON}, "body": '{"message": "Internal"}'}

    # then
    assert judge_proxy_response(sound, []) == []
    assert _kinds(judge_proxy_response(failed, [])) == ["5xx"]
    assert _kinds(judge_proxy_response(None, [])) == ["not JSON"]


def test_a_leak_is_reported_once_per_match_with_its_kind() -> None:
    assert leaks("a 123456789012 b", []) == ["account id: '123456789012'"]
    assert leaks("a 123456789012 b", ["x=123456789012"]) == []


def test_forged_tokens_carry_a_valid_checksum_around_any_payload() -> None:
    # given: the recipe around a deeply nested payload
    payload = b"[" * 1200
    token = checksummed(payload)

    # then: base64url without padding of payload + the first 8 bytes of its SHA-256
    assert "=" not in token
    assert payload_of(token) == payload
    assert base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))[:-8] == payload
    assert decoded_text(token).startswith("[[[")
