"""Test support for the runtime: API Gateway event factories, a fake Lambda context with a controllable
clock, an in-memory fake of the two AWS operations, and ``invoke`` — the one way tests call the handler.

Every handler response in the runtime tests goes through ``invoke``, which checks it against the OpenAPI
document (documented operations) or the error-body shape (anything else) before returning it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import sys
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from listimages.handler import ROUTES, handle

from tests.openapi_contract import assert_conforms_to_openapi

ACCOUNT_ID = "123456789012"
OTHER_ACCOUNT_ID = "111122223333"
IMAGE_ID_TAG = "parallelcluster:image_id"
VERSION_TAG = "parallelcluster:version"
BUILD_STATUS_TAG = "parallelcluster:build_status"
EXPECTED_EC2_FILTERS = [
    {"Name": "tag-key", "Values": [IMAGE_ID_TAG]},
    {"Name": f"tag:{BUILD_STATUS_TAG}", "Values": ["available"]},
]


# --- events -------------------------------------------------------------------------------------------


def v1_event(
    query: Mapping[str, str | Sequence[str]] | None = None,
    *,
    path: str = "/images/custom",
    method: str = "GET",
    body: str | None = None,
    base64_body: bool = False,
    request_id: str = "apigw-request-id-1",
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event; a list value is a repeated query parameter."""
    multi = {
        name: [value] if isinstance(value, str) else list(value) for name, value in (query or {}).items()
    }
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Accept": "application/json"},
        "queryStringParameters": {name: values[-1] for name, values in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": None,
        "requestContext": {
            "requestId": request_id,
            "stage": "prod",
            "resourcePath": path,
            "httpMethod": method,
        },
        "body": _encoded(body, base64_body),
        "isBase64Encoded": base64_body,
    }


def v2_event(
    query: Mapping[str, str | Sequence[str]] | str | None = None,
    *,
    path: str = "/images/custom",
    method: str = "GET",
    body: str | None = None,
    base64_body: bool = False,
    stage: str = "$default",
    request_id: str = "apigw-request-id-2",
) -> dict[str, Any]:
    """An HTTP API / function URL (v2) event; ``query`` may be a raw query string."""
    if isinstance(query, str):
        raw_query = query
    else:
        pairs = [
            (name, item)
            for name, value in (query or {}).items()
            for item in ([value] if isinstance(value, str) else value)
        ]
        raw_query = urllib.parse.urlencode(pairs)
    joined: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(raw_query, keep_blank_values=True):
        # What API Gateway does to v2 events: repeated keys joined by commas.
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": {"accept": "application/json"},
        "queryStringParameters": joined or None,
        "requestContext": {
            "requestId": request_id,
            "stage": stage,
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1"},
        },
        "body": _encoded(body, base64_body),
        "isBase64Encoded": base64_body,
    }


def _encoded(body: str | None, base64_body: bool) -> str | None:
    if body is None or not base64_body:
        return body
    return base64.b64encode(body.encode()).decode()


# --- Lambda context -----------------------------------------------------------------------------------


@dataclass
class FakeClock:
    """Seconds that pass only when a test (or a slow fake AWS call) says so."""

    now: float = 0.0

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        self.now += seconds


@dataclass
class FakeLambdaContext:
    """The parts of the Lambda context the handler uses."""

    timeout_seconds: float = 25.0
    clock: FakeClock = field(default_factory=FakeClock)
    aws_request_id: str = "lambda-request-id"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before Lambda's timeout, by the fake clock."""
        return int((self.timeout_seconds - self.clock.now) * 1000)


# --- the interpreter --------------------------------------------------------------------------------


# CPython's default, which Lambda's Python runtime keeps. Hypothesis raises the limit while a test runs, and a
# parser that recurses (json) then accepts input that fails in Lambda: hostile-input tests run with this one.
INTERPRETER_RECURSION_LIMIT = 1000


@contextlib.contextmanager
def interpreter_recursion_limit() -> Iterator[None]:
    """Run the block with the interpreter's default recursion limit, then restore the limit it had."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(INTERPRETER_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


# --- responses ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A handler response with its body parsed."""

    status: int
    headers: Mapping[str, str]
    body: Any
    raw: Mapping[str, Any]


def invoke(event: Mapping[str, Any], context: Any = None) -> Answer:
    """Call the handler the way Lambda does and check the response against the documented contract."""
    response = handle(event, context if context is not None else FakeLambdaContext())
    path, method = _route_of(event)
    if path in ROUTES and method == "GET":
        assert_conforms_to_openapi(response, path=path, method=method)
    body = json.loads(response["body"])
    if response["statusCode"] != 200:
        assert set(body) == {"message"}, body
        assert isinstance(body["message"], str)
    assert response["headers"]["Content-Type"] == "application/json"
    return Answer(response["statusCode"], response["headers"], body, response)


def _route_of(event: Mapping[str, Any]) -> tuple[str, str]:
    context = event.get("requestContext") or {}
    if event.get("version") == "2.0":
        path = str(event.get("rawPath"))
        stage = context.get("stage")
        if stage and stage != "$default":
            path = path.removeprefix(f"/{stage}")
        return path, str((context.get("http") or {}).get("method"))
    return str(event.get("resource")), str(event.get("httpMethod"))


# --- AWS resources and an in-memory fake of the two AWS operations ------------------------------------


def ami(
    ami_id: str, image_id: str | None, *, version: str | None = "3.9.0", build_status: str = "available"
) -> dict[str, Any]:
    """A DescribeImages entry shaped like EC2's, tagged like a ParallelCluster image."""
    tags = {BUILD_STATUS_TAG: build_status}
    if image_id is not None:
        tags[IMAGE_ID_TAG] = image_id
    if version is not None:
        tags[VERSION_TAG] = version
    return {
        "ImageId": ami_id,
        "OwnerId": ACCOUNT_ID,
        "State": "available",
        "Name": f"{image_id}-{ami_id}",
        "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
    }


def stack(
    name: str,
    status: str,
    image_id: str | None,
    *,
    version: str | None = "3.9.0",
    parent_id: str | None = None,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A DescribeStacks entry shaped like CloudFormation's, tagged like an image build stack."""
    tags = {}
    if image_id is not None:
        tags[IMAGE_ID_TAG] = image_id
    if version is not None:
        tags[VERSION_TAG] = version
    entry: dict[str, Any] = {
        "StackId": stack_arn(name, region),
        "StackName": name,
        "StackStatus": status,
        "CreationTime": "2026-01-01T00:00:00Z",
        "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
    }
    if parent_id is not None:
        entry["ParentId"] = parent_id
    return entry


def stack_arn(name: str, region: str = "us-east-1") -> str:
    """The StackId CloudFormation would give ``name``."""
    return f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{name}/0f0e0d0c-0000-4000-8000-000000000000"


def client_error(code: str, operation: str, *, status: int = 400, message: str = "detail") -> ClientError:
    """A botocore ClientError as AWS would produce it."""
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


@dataclass
class FakeAws:
    """DescribeImages and DescribeStacks served from lists, paginated like AWS, with call records.

    ``stack_page_size`` is CloudFormation's fixed page size; DescribeImages pages follow ``MaxResults``.
    ``seconds_per_call`` advances ``clock`` on every call (a slow AWS); ``failures`` raises instead.
    """

    amis: list[dict[str, Any]] = field(default_factory=list)
    stacks: list[dict[str, Any]] = field(default_factory=list)
    stack_page_size: int = 100
    clock: FakeClock | None = None
    seconds_per_call: float = 0.0
    failures: dict[str, Exception] = field(default_factory=dict)
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def factory(self, service: str, region: str) -> Any:
        """A client-factory for ``AwsClients.use_factory``."""
        return _FakeClient(self, service, region)

    def serve(self, operation: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
        """One AWS page for ``operation``; records the call."""
        self.calls.append((operation, region, params))
        if self.clock is not None:
            self.clock.advance(self.seconds_per_call)
        if operation in self.failures:
            raise self.failures[operation]
        if operation == "DescribeImages":
            assert params["Owners"] == ["self"], params
            assert params["Filters"] == EXPECTED_EC2_FILTERS, params
            items, key, size = self.amis, "Images", int(params["MaxResults"])
        else:
            items, key, size = self.stacks, "Stacks", self.stack_page_size
        start = _page_start(params.get("NextToken"), operation)
        response: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            response["NextToken"] = f"page-at-{start + size}"
        return response


def _page_start(token: str | None, operation: str) -> int:
    if token is None:
        return 0
    if not token.startswith("page-at-") or not token.removeprefix("page-at-").isdigit():
        raise client_error("InvalidPaginationToken", operation, message=f"Invalid token {token}")
    return int(token.removeprefix("page-at-"))


@dataclass
class _FakeClient:
    aws: FakeAws
    service: str
    region: str

    def describe_images(self, **params: Any) -> dict[str, Any]:
        assert self.service == "ec2"
        return self.aws.serve("DescribeImages", self.region, params)

    def describe_stacks(self, **params: Any) -> dict[str, Any]:
        assert self.service == "cloudformation"
        return self.aws.serve("DescribeStacks", self.region, params)


def walk(list_page: Any, first_token: str | None = None, limit: int = 1000) -> list[Any]:
    """Every page of a listing: calls ``list_page(token)`` until a page has no ``next_token``."""
    pages, token = [], first_token
    for _ in range(limit):
        page = list_page(token)
        pages.append(page)
        token = page.get("next_token") or page.get("nextToken")
        if not token:
            return pages
    raise AssertionError(f"the listing did not end within {limit} pages")


def ids_of(pages: Iterable[Mapping[str, Any]]) -> list[str]:
    """The AMI ids / stack ARNs of every image of every page, in order (snake_case or camelCase)."""
    found = []
    for page in pages:
        for image in page["images"]:
            ami_info = image.get("ec2_ami_info") or image.get("ec2AmiInfo")
            if ami_info:
                found.append(ami_info.get("ami_id") or ami_info.get("amiId"))
            else:
                found.append(image.get("cloudformation_stack_arn") or image.get("cloudformationStackArn"))
    return found
