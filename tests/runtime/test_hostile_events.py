"""Hostile events straight into ``handle()`` (issue 11): forged, truncated, edited, nested and huge tokens,
repeated and percent-encoded parameters, JSON bodies of any shape, unicode.

Every example runs with the interpreter's default recursion limit: hypothesis raises the limit while a test
runs, which is how a RecursionError on a nested token once hid from the property tests. AWS is the in-memory
fake, healthy, holding resources the API does not list (stacks of no image build, nested and off-schema ones)
between the ones it does. Then every answer is a page or a 400 ``{"message": ...}``, a repeated parameter is
never answered with a page, and nothing leaks: no traceback, ARN, account id, file path or class name that the
event did not itself contain, and no trace of an unlisted resource, not even inside a token.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import json
import os
import random
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any
from unittest import mock

import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from listimages import sources
from listimages.images import PAGE_SIZE_VARIABLE, list_images
from listimages.tokens import MAX_TOKEN_CHARS

from tests.runtime.support import (
    ACCOUNT_ID,
    Answer,
    FakeAws,
    ami,
    interpreter_recursion_limit,
    invoke,
    stack,
    stack_arn,
    v1_event,
    v2_event,
    walk,
)

# 300 examples per property keep CI at a few seconds; a long run sets more (HOSTILE_EVENT_EXAMPLES=10000).
EXAMPLES_VARIABLE = "HOSTILE_EVENT_EXAMPLES"
EXAMPLES = settings(
    max_examples=int(os.environ.get(EXAMPLES_VARIABLE) or 300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
STATUSES = ["AVAILABLE", "PENDING", "FAILED"]
REGIONS = ["us-east-1", "eu-west-1"]
PARAMETERS = ["imageStatus", "region", "nextToken"]
PATHS = ["/images/custom", "/v3/images/custom"]


# --- a healthy AWS with resources the API does not list between the ones it does --------------------------

LISTED_AMIS = [ami(f"ami-0a{n:015d}", f"image-{n}") for n in range(5)]
UNLISTED_AMIS = [ami(f"ami-0bad{n:013d}", f"no-version-{n}", version=None) for n in range(3)]
LISTED_STACKS = [
    stack(f"build-{n}", status, f"build-{n}")
    for n, status in enumerate(["CREATE_IN_PROGRESS", "CREATE_FAILED", "ROLLBACK_COMPLETE"] * 2)
]
UNLISTED_STACKS = [
    stack("acme-payroll-db-prod", "CREATE_IN_PROGRESS", None),
    stack("acme-cluster-prod", "CREATE_FAILED", None),
    stack("acme-nested-build", "CREATE_FAILED", "nested", parent_id=stack_arn("acme-parent")),
    stack("acme-off-schema", "CREATE_IN_PROGRESS", "off-schema", version=None),
]
UNLISTED_IDS = [item["ImageId"] for item in UNLISTED_AMIS] + [item["StackId"] for item in UNLISTED_STACKS]
RAW_IDS = UNLISTED_IDS + [item["ImageId"] for item in LISTED_AMIS] + [s["StackId"] for s in LISTED_STACKS]
# Small pages, so that tokens stop next to unlisted resources.
PAGE_SIZE = "2"


def _interleaved(listed: list[dict[str, Any]], unlisted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    mixed: list[dict[str, Any]] = []
    for index, item in enumerate(listed):
        mixed.append(item)
        if index < len(unlisted):
            mixed.append(unlisted[index])
    return mixed


def _install_fake_aws() -> None:
    aws = FakeAws(
        amis=_interleaved(LISTED_AMIS, UNLISTED_AMIS),
        stacks=_interleaved(LISTED_STACKS, UNLISTED_STACKS),
        stack_page_size=3,
    )
    sources.clients.use_factory(aws.factory)


@functools.cache
def _harvested_tokens() -> tuple[str, ...]:
    """Every token of full walks of each status and Region: the real tokens a caller holds."""
    tokens: list[str] = []
    with mock.patch.dict(os.environ, {PAGE_SIZE_VARIABLE: PAGE_SIZE}):
        _install_fake_aws()
        for status in STATUSES:
            for region in REGIONS:

                def list_page(token: str | None, status: str = status, region: str = region) -> Any:
                    return list_images(status, region, token)

                tokens += [page["next_token"] for page in walk(list_page) if "next_token" in page]
    assert len(tokens) >= 6
    return tuple(tokens)


# --- tokens ----------------------------------------------------------------------------------------------

# Lone surrogates included: Lambda's JSON decoding of an event can produce them ("\ud800").
_unicode = st.text(st.characters(exclude_categories=()), max_size=16)


def _raw(token: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return b""


def _signed(payload: bytes) -> str:
    # base64url with a valid checksum over any bytes: the checksum has no secret, anyone can make these
    return base64.urlsafe_b64encode(payload + hashlib.sha256(payload).digest()[:8]).rstrip(b"=").decode()


_real_token = st.deferred(lambda: st.sampled_from(_harvested_tokens()))
_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    _unicode,
    st.sampled_from(RAW_IDS),
)
_json_value = st.recursive(
    _json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(_unicode, children, max_size=3)
    ),
    max_leaves=8,
)
_depth = st.one_of(st.integers(0, 50), st.sampled_from([999, 1000, 1200, 3000, 6000]))


@st.composite
def _nested_json(draw: st.DrawFn) -> str:
    """JSON nested ``depth`` deep: arrays, objects or both, closed or not."""
    depth = draw(_depth)
    opener = draw(st.sampled_from(["[", '{"a":', '{"imageStatus":[', '{"v":3,"s":[']))
    closer = {"[": "]", '{"a":': "}", '{"imageStatus":[': "]}", '{"v":3,"s":[': "]}"}[opener]
    inner = draw(st.sampled_from(["1", "[]", "{}", '"x"']))
    text = opener * depth + inner
    return text + closer * depth if draw(st.booleans()) else text


@st.composite
def _forged_token(draw: st.DrawFn) -> str:
    """A valid checksum over a hostile payload: a real one with a field changed, or any JSON, or any bytes."""
    kind = draw(st.sampled_from(["field", "nested", "bytes", "encoding", "too-long"]))
    fields = json.loads(_raw(draw(_real_token))[:-8])
    if kind == "field":
        key = draw(st.sampled_from([*fields, "x"]))
        if draw(st.booleans()):
            fields.pop(key, None)
        else:
            fields[key] = draw(st.one_of(_json_value, st.sampled_from([1, 2, 4, "3"])))
        return _signed(json.dumps(fields, allow_nan=True).encode())
    if kind == "nested":
        return _signed(draw(_nested_json()).encode())
    if kind == "bytes":
        return _signed(draw(st.binary(max_size=120)))
    if kind == "encoding":
        codec = draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32", "utf-8-sig"]))
        return _signed(json.dumps(fields).encode(codec))
    fields["t"] = "x" * draw(st.sampled_from([MAX_TOKEN_CHARS - 200, MAX_TOKEN_CHARS, 3 * MAX_TOKEN_CHARS]))
    return _signed(json.dumps(fields).encode())


@st.composite
def _edited_token(draw: st.DrawFn) -> str:
    token = str(draw(_real_token))
    index = draw(st.integers(0, len(token) - 1))
    edit = draw(st.sampled_from(["replace", "insert", "delete", "cut"]))
    if edit == "cut":
        return token[:index]
    if edit == "delete":
        return token[:index] + token[index + 1 :]
    character = draw(st.one_of(st.sampled_from("AZaz09-_=+/%. "), st.characters(exclude_categories=())))
    return token[:index] + character + token[index + (edit == "replace") :]


_huge_token = st.builds(
    lambda length, character: character * length,
    st.sampled_from([MAX_TOKEN_CHARS - 1, MAX_TOKEN_CHARS, MAX_TOKEN_CHARS + 1, 4 * MAX_TOKEN_CHARS]),
    st.sampled_from(["A", "[", "%5B", "é"]),
)
_token = st.one_of(_real_token, _edited_token(), _forged_token(), _huge_token, _unicode)


# --- parameters, queries, bodies, events -----------------------------------------------------------------

_name = st.one_of(
    st.sampled_from(PARAMETERS),
    st.sampled_from(PARAMETERS).map(str.upper),
    st.sampled_from(["other", "Region", "next_token", ""]),
    _unicode,
)
_value = st.one_of(
    st.sampled_from(STATUSES),
    st.sampled_from([*REGIONS, "", "us-east-7", "cn-north-1", "aws-global", "r" * 70]),
    _token,
    _unicode,
)
# Valid pairs half the time: a repeat then has valid values, which "last value wins" would have answered.
_valid_pair = st.one_of(
    st.tuples(st.just("imageStatus"), st.sampled_from(STATUSES)),
    st.tuples(st.just("region"), st.sampled_from(["", *REGIONS])),
    st.tuples(st.just("nextToken"), st.one_of(st.just(""), _real_token)),
)
_pair = st.one_of(_valid_pair, st.tuples(_name, _value))
# A valid imageStatus half the time, so that enough requests get far enough to be answered with a page.
_pairs = st.builds(
    lambda leading, pairs: leading + pairs,
    st.lists(st.tuples(st.just("imageStatus"), st.sampled_from(STATUSES)), max_size=1),
    st.lists(_pair, max_size=6),
).flatmap(st.permutations)


def _quoted(text: str) -> str:
    return urllib.parse.quote(text, safe="", errors="surrogatepass")


@st.composite
def _percent_encoded(draw: st.DrawFn, text: str) -> str:
    """``text`` percent-encoded (as UTF-8) all through, or only where it must be (``&=#%+``) and at a few
    random places (drawn once per string, not per character: tokens can be long)."""
    if draw(st.booleans()):
        return _quoted(text)
    pick = random.Random(draw(st.integers(0, 2**32)))
    chosen = set(pick.sample(range(len(text)), min(len(text), draw(st.integers(0, 4)))))
    return "".join(
        _quoted(character) if character in "&=#%+" or index in chosen else character
        for index, character in enumerate(text)
    )


@st.composite
def _raw_query(draw: st.DrawFn, pairs: list[tuple[str, str]], *, with_junk: bool = True) -> str:
    """A raw query string of ``pairs``, each name and value percent-encoded its own way, maybe with junk."""
    parts = [f"{draw(_percent_encoded(name))}={draw(_percent_encoded(value))}" for name, value in pairs]
    if with_junk and draw(st.integers(0, 9)) == 0:
        parts.append(draw(st.sampled_from(["%", "%zz", "%ff", "&&", "a=b=c", "=x", ";", "nextToken"])))
    return "&".join(parts)


def _object_text(pairs: list[tuple[str, Any]]) -> str:
    """A JSON object written pair by pair: a key may come twice (json.dumps of a dict never does that)."""
    return "{" + ",".join(f"{json.dumps(key)}:{json.dumps(value)}" for key, value in pairs) + "}"


# No body half the time (most real requests), else an object with any pairs or anything else.
_body_text = st.one_of(
    st.none(),
    st.one_of(
        st.lists(st.one_of(_pair, st.tuples(_name, _json_value)), max_size=4).map(_object_text),
        _nested_json(),
        st.sampled_from(["[]", "1", '"AVAILABLE"', "null", "", " ", "{", "imageStatus=AVAILABLE"]),
        _unicode,
    ),
)


@st.composite
def _hostile_event(draw: st.DrawFn) -> dict[str, Any]:
    pairs = draw(_pairs)
    path = draw(st.sampled_from(PATHS))
    base64_body = draw(st.booleans())
    body = draw(_body_text)
    if base64_body and body is not None:  # base64 of UTF-8, which a lone surrogate cannot be
        body = body.encode("utf-8", "replace").decode("utf-8")
    if draw(st.booleans()):
        # v1: API Gateway decodes names and values, a repeated name has several values
        multi: dict[str, list[str]] = {}
        for name, value in pairs:
            multi.setdefault(name, []).append(value)
        event = v1_event(multi, path=path, body=body, base64_body=base64_body)
    else:
        event = v2_event(draw(_raw_query(pairs)), path=path, body=body, base64_body=base64_body)
    if base64_body and draw(st.integers(0, 9)) == 0:
        event["body"] = draw(st.sampled_from(["%%%", "=", base64.b64encode(b"\xff\xfe{").decode()]))
    return event


# --- the oracle ------------------------------------------------------------------------------------------

# What a failure inside the function would show: a traceback, ARN, account id, file path or class name.
LEAKS = {
    "traceback": re.compile(r"Traceback|File \"|line \d+, in "),
    "ARN": re.compile(r"arn:[\w-]*:[\w-]*:"),
    "account id": re.compile(r"(?<!\d)\d{12}(?!\d)"),
    "file path": re.compile(r"\w+\.py\b|/var/task|/opt/python|site-packages"),
    "class name": re.compile(r"\b[A-Z]\w*(?:Error|Exception)\b|<class |object at 0x"),
}


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


def _event_text(event: dict[str, Any]) -> str:
    """Everything the event says, in each form the handler may decode it to (raw, unquoted, base64, JSON)."""
    texts = list(_strings_in(event))
    texts += [urllib.parse.unquote(text) for text in texts] + [urllib.parse.unquote_plus(t) for t in texts]
    body = event.get("body")
    if isinstance(body, str):
        try:
            decoded = base64.b64decode(body) if event.get("isBase64Encoded") else b""
        except (binascii.Error, ValueError):
            decoded = b""
        for candidate in (body, decoded.decode("utf-8", "replace")):
            texts.append(candidate)
            with contextlib.suppress(ValueError, RecursionError):
                texts += _strings_in(json.loads(candidate))
    return "\n".join(texts)


def _query_names(event: dict[str, Any]) -> list[str]:
    """The parameter names of the query as API Gateway would see them (decoded), repeats included."""
    if event.get("version") == "2.0":
        return [name for name, _ in urllib.parse.parse_qsl(event["rawQueryString"], keep_blank_values=True)]
    multi = event.get("multiValueQueryStringParameters") or {}
    return [name for name, values in multi.items() for _ in values]


class _Keys(list[str]):
    """The keys of a JSON object, in order, repeats included."""


def _body_keys(event: dict[str, Any]) -> list[str]:
    """The top-level keys of a JSON object body, repeats included (none when it is not one)."""
    body = event.get("body")
    if not isinstance(body, str):
        return []
    try:
        text = base64.b64decode(body, validate=True).decode() if event.get("isBase64Encoded") else body
        document = json.loads(text or "", object_pairs_hook=lambda pairs: _Keys(key for key, _ in pairs))
    except (ValueError, RecursionError, TypeError, binascii.Error):
        return []
    return document if isinstance(document, _Keys) else []


def _handle_with_lambdas_recursion_limit(event: dict[str, Any]) -> Answer:
    with interpreter_recursion_limit(), mock.patch.dict(os.environ, {PAGE_SIZE_VARIABLE: PAGE_SIZE}):
        _install_fake_aws()
        return invoke(event)  # also checks the OpenAPI document and the {"message": str} shape


def _assert_safe_answer(event: dict[str, Any], answer: Answer) -> None:
    # A page or a 400: a healthy AWS is never throttling (429), and nothing else is an answer to these
    assert answer.status in (200, 400), answer.body
    # (what the examples were: --hypothesis-show-statistics counts these)
    hypothesis.event(f"status {answer.status}")
    if answer.status == 400:
        hypothesis.event(re.sub(r"'[^']*'", "'…'", answer.body["message"])[:48])
    serialized = answer.raw["body"]
    for unlisted in UNLISTED_IDS:
        assert unlisted not in serialized
    if answer.status == 400:
        message = answer.body["message"]
        for kind, pattern in LEAKS.items():
            for found in pattern.findall(message):  # rare: only then is the event's text worth building
                assert found in _event_text(event), f"{kind} {found!r} leaked in {message!r}"
        return
    token = answer.body.get("nextToken")
    if token is not None:
        raw = _raw(token)
        for secret in [*RAW_IDS, ACCOUNT_ID, "arn:", "acme"]:
            assert secret.encode() not in raw, secret
    # Repeated parameters are never answered with a page, in the query string or the body
    for names in (_query_names(event), _body_keys(event)):
        repeated = {name for name in names if names.count(name) > 1}
        assert not repeated & set(PARAMETERS), repeated


# --- the properties --------------------------------------------------------------------------------------


@EXAMPLES
@given(event=_hostile_event())
def test_hostile_requests_get_a_page_or_a_clean_400_and_leak_nothing(event: dict[str, Any]) -> None:
    # Given any hostile request on a documented route
    # When the handler serves it with Lambda's recursion limit, Then it is a page or a clean 400
    _assert_safe_answer(event, _handle_with_lambdas_recursion_limit(event))


@EXAMPLES
@given(image_status=st.sampled_from(STATUSES), region=st.sampled_from(REGIONS), token=_token, data=st.data())
def test_any_token_is_a_page_or_the_invalid_token_400(
    image_status: str, region: str, token: str, data: st.DataObject
) -> None:
    # Given a valid imageStatus and Region, and any token (real, edited, forged, nested, huge, unicode)
    pairs = [("imageStatus", image_status), ("region", region), ("nextToken", token)]
    as_v1 = data.draw(st.booleans())
    event = v1_event(dict(pairs)) if as_v1 else v2_event(data.draw(_raw_query(pairs, with_junk=False)))

    # When it is served with Lambda's recursion limit
    answer = _handle_with_lambdas_recursion_limit(event)

    # Then it is a page, or exactly the invalid-token 400, and nothing leaks
    _assert_safe_answer(event, answer)
    if answer.status == 400:
        assert answer.body == {"message": "Bad Request: invalid nextToken"}
