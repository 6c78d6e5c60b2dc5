"""Property tests: over arbitrary query strings, bodies, tokens and event shapes, the handler never answers
a 5xx, never raises, and every error body is ``{"message": str}`` (checked in ``invoke``, together with the
OpenAPI document). AWS is the in-memory fake, so thousands of examples take seconds. The handler runs with the
interpreter's default recursion limit, as in Lambda. (test_hostile_events.py aims at hostile input.)"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from listimages import sources
from listimages.tokens import Cursor, encode_token, resume_digest

from tests.runtime.support import (
    Answer,
    FakeAws,
    ami,
    interpreter_recursion_limit,
    invoke,
    stack,
    v1_event,
    v2_event,
)

EXAMPLES = settings(
    max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
STATUSES = ["AVAILABLE", "PENDING", "FAILED"]
REGIONS = ["us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1", "aws-global", "us-future-9"]
PARAMETERS = ["imageStatus", "region", "nextToken"]
EVENT_KEYS = [
    "version",
    "httpMethod",
    "resource",
    "path",
    "rawPath",
    "rawQueryString",
    "requestContext",
    "body",
]

_text = st.text(max_size=12)
_cursor = st.builds(
    Cursor,
    aws_token=st.one_of(st.none(), st.sampled_from(["page-at-1", "page-at-2", "page-at-999"]), _text),
    offset=st.integers(min_value=0, max_value=100_000),
    last_digest=st.one_of(
        st.none(), st.sampled_from(["ami-00000000000000001", "arn:x:stack/build-1"]), _text
    ).map(lambda resource_id: resume_digest(resource_id) if resource_id else None),
    max_results=st.integers(min_value=5, max_value=1000),
)
# An empty AWS token is not one our code issues; encode_token would still accept it, so map it to None.
_issued_token = st.builds(
    lambda status, region, cursor: encode_token(
        status,
        region,
        Cursor(
            aws_token=cursor.aws_token or None,
            offset=cursor.offset,
            last_digest=cursor.last_digest,
            max_results=cursor.max_results,
        ),
    ),
    st.sampled_from(STATUSES),
    st.sampled_from(REGIONS[:2]),
    _cursor,
)


@st.composite
def _token(draw: st.DrawFn) -> str:
    """Real tokens, tokens with one character changed or cut short, and arbitrary text."""
    kind = draw(st.sampled_from(["issued", "edited", "cut", "text"]))
    if kind == "text":
        return str(draw(_text))
    token = str(draw(_issued_token))
    if kind == "cut":
        return token[: draw(st.integers(0, len(token)))]
    if kind == "edited":
        index = draw(st.integers(0, len(token) - 1))
        return token[:index] + str(draw(st.characters())) + token[index + 1 :]
    return token


_value = st.one_of(st.sampled_from(STATUSES + REGIONS), _text, _token())
_name = st.one_of(st.sampled_from(PARAMETERS), _text)
_pairs = st.lists(st.tuples(_name, _value), max_size=5)
_flat_json = st.one_of(st.none(), st.booleans(), st.integers(), _text, st.lists(_text, max_size=2))
_body = st.one_of(
    st.none(),
    _text,
    _flat_json.map(json.dumps),
    st.dictionaries(st.sampled_from([*PARAMETERS, "other"]), st.one_of(_value, _flat_json)).map(json.dumps),
)


def _install_fake_aws() -> None:
    aws = FakeAws(
        amis=[ami(f"ami-{n:017d}", f"image-{n}") for n in range(7)],
        stacks=[
            stack(f"build-{n}", status, f"build-{n}")
            for n, status in enumerate(["CREATE_IN_PROGRESS", "CREATE_FAILED"] * 4)
        ],
        stack_page_size=3,
    )
    sources.clients.use_factory(aws.factory)


def _invoke_with_lambdas_recursion_limit(event: dict[str, Any]) -> Answer:
    # hypothesis raises the recursion limit while a test runs; Lambda has the interpreter's default
    with interpreter_recursion_limit():
        return invoke(event)


def _assert_not_a_server_error(event: dict[str, Any]) -> None:
    answer = _invoke_with_lambdas_recursion_limit(event)
    assert answer.status < 500, answer.body
    if answer.status == 200:
        assert isinstance(answer.body["images"], list)


@EXAMPLES
@given(
    version=st.sampled_from(["v1", "v2"]),
    pairs=_pairs,
    raw_query=st.one_of(st.none(), _text),
    body=_body,
    base64_body=st.booleans(),
    path=st.sampled_from(["/images/custom", "/v3/images/custom"]),
)
def test_requests_never_get_a_server_error(
    version: str,
    pairs: list[tuple[str, str]],
    raw_query: str | None,
    body: str | None,
    base64_body: bool,
    path: str,
) -> None:
    # Given any query parameters (repeated or not), or for v2 any raw query string, and any body
    _install_fake_aws()
    if version == "v1":
        repeated: dict[str, list[str]] = {}
        for name, value in pairs:
            repeated.setdefault(name, []).append(value)
        event = v1_event(repeated, body=body, base64_body=base64_body, path=path)
    else:
        # (an edited token may hold a lone surrogate: its UTF-8 bytes are percent-encoded as they are)
        encoded = urllib.parse.urlencode(pairs, errors="surrogatepass")
        query = raw_query if raw_query is not None else encoded
        event = v2_event(query, body=body, base64_body=base64_body, path=path)

    # Then the answer is a page or a clean 4xx
    _assert_not_a_server_error(event)


@EXAMPLES
@given(image_status=st.sampled_from(STATUSES), region=st.sampled_from(REGIONS[:2]), token=_token())
def test_any_token_is_a_page_or_an_invalid_token_400(image_status: str, region: str, token: str) -> None:
    _install_fake_aws()

    answer = _invoke_with_lambdas_recursion_limit(
        v1_event({"imageStatus": image_status, "region": region, "nextToken": token})
    )

    assert answer.status in (200, 400)
    if answer.status == 400:
        assert answer.body == {"message": "Bad Request: invalid nextToken"}


_json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), _text),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(_text, children, max_size=3)),
    max_leaves=6,
)


@settings(EXAMPLES, max_examples=300)
@given(event=st.dictionaries(st.one_of(st.sampled_from(EVENT_KEYS), _text), _json_value, max_size=5))
def test_shapeless_events_never_raise(event: dict[str, Any]) -> None:
    _install_fake_aws()
    _assert_not_a_server_error(event)
