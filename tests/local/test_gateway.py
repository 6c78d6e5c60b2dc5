"""The local API Gateway itself, on a hand-written template and probe handlers (no AWS involved).

Proves that routes, methods, authorization, stage, validation and function settings come from the
template, and how HTTP maps to REST (v1) proxy events and back.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import socket
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local import EMULATOR_CREDENTIALS, LocalApiGateway, TemplateError, api_from_template
from local.sigv4 import LocalCredentials, sign
from tests.e2e.support import http_get

REGION = "eu-west-1"
ACCOUNT = "111122223333"
_INVALID_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)

_PROBE_HANDLERS = textwrap.dedent(
    '''
    import base64, json, time

    def echo(event, context):
        """Answer with the event and the context it was given."""
        seen = {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
        }
        return {
            "statusCode": 201,
            "headers": {"X-Probe": "echo"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": json.dumps({"event": event, "context": seen}),
        }

    def overruns(event, context):
        time.sleep(context.get_remaining_time_in_millis() / 1000 + 0.05)
        return {"statusCode": 200, "body": "{}"}

    def raises(event, context):
        raise RuntimeError("unhandled")

    def malformed(event, context):
        return {"body": "no statusCode"}

    def binary(event, context):
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(b"\\x89PNG\\x00").decode(), "isBase64Encoded": True}
    '''
)


def _function(handler: str, timeout: int = 7) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Handler": handler, "Timeout": timeout, "MemorySize": 512, "Runtime": "python3.14"},
    }


def _resource(parent: dict[str, Any], path_part: str) -> dict[str, Any]:
    return {
        "Type": "AWS::ApiGateway::Resource",
        "Properties": {"ParentId": parent, "PathPart": path_part, "RestApiId": {"Ref": "Api"}},
    }


def _method(
    resource: str, http_method: str, function: str, auth: str = "NONE", **extra: Any
) -> dict[str, Any]:
    uri = {"Fn::Join": ["", ["arn:aws:apigateway:", {"Ref": "AWS::Region"}, ":lambda:path/functions/",
                             {"Fn::GetAtt": [function, "Arn"]}, "/invocations"]]}  # fmt: skip
    return {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {
            "HttpMethod": http_method,
            "ResourceId": {"Ref": resource},
            "RestApiId": {"Ref": "Api"},
            "AuthorizationType": auth,
            "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": uri},
            **extra,
        },
    }


ROOT = {"Fn::GetAtt": ["Api", "RootResourceId"]}
PROBE_TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Api": {
            "Type": "AWS::ApiGateway::RestApi",
            "Properties": {"BinaryMediaTypes": ["application/octet-stream"]},
        },
        "Stage": {
            "Type": "AWS::ApiGateway::Stage",
            "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": "beta"},
        },
        "Items": _resource(ROOT, "items"),
        "Item": _resource({"Ref": "Items"}, "{itemId}"),
        "Files": _resource(ROOT, "files"),
        "FilePath": _resource({"Ref": "Files"}, "{path+}"),
        "Broken": _resource(ROOT, "broken"),
        "Malformed": _resource(ROOT, "malformed"),
        "Picture": _resource(ROOT, "picture"),
        "Slow": _resource(ROOT, "slow"),
        "Checked": _resource(ROOT, "checked"),
        "Validator": {
            "Type": "AWS::ApiGateway::RequestValidator",
            "Properties": {"RestApiId": {"Ref": "Api"}, "ValidateRequestParameters": True},
        },
        "ListItems": _method("Items", "GET", "EchoFunction"),
        "PostItem": _method("Item", "POST", "EchoFunction", auth="AWS_IAM"),
        "AnyFile": _method("FilePath", "ANY", "EchoFunction"),
        "GetBroken": _method("Broken", "GET", "RaisingFunction"),
        "GetMalformed": _method("Malformed", "GET", "MalformedFunction"),
        "GetPicture": _method("Picture", "GET", "BinaryFunction"),
        "GetSlow": _method("Slow", "GET", "OverrunningFunction"),
        "GetChecked": _method(
            "Checked",
            "GET",
            "EchoFunction",
            RequestValidatorId={"Ref": "Validator"},
            RequestParameters={
                "method.request.querystring.q": True,
                "method.request.querystring.optional": False,
            },
        ),
        "EchoFunction": _function("probe.handlers.echo"),
        "RaisingFunction": _function("probe.handlers.raises"),
        "MalformedFunction": _function("probe.handlers.malformed"),
        "BinaryFunction": _function("probe.handlers.binary"),
        "OverrunningFunction": _function("probe.handlers.overruns", timeout=1),
    }
}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApiGateway]:
    """The gateway serving PROBE_TEMPLATE from a code root holding probe/handlers.py."""
    yield from _serve_probe(PROBE_TEMPLATE, tmp_path_factory.mktemp("code"))


def _serve_probe(template: dict[str, Any], code_root: Path, **options: Any) -> Iterator[LocalApiGateway]:
    """Serve ``template`` with probe/handlers.py written under ``code_root``, for a fixture to yield.

    ``options`` are further LocalApiGateway arguments (idle_timeout_seconds, max_connections).
    """
    (code_root / "probe").mkdir()
    (code_root / "probe" / "__init__.py").write_text("")
    (code_root / "probe" / "handlers.py").write_text(_PROBE_HANDLERS)
    with LocalApiGateway(
        api_from_template(template),
        code_root,
        region=REGION,
        account_id=ACCOUNT,
        credentials=EMULATOR_CREDENTIALS,
        **options,
    ) as served:
        yield served


def _origin(gateway: LocalApiGateway) -> str:
    return f"http://127.0.0.1:{gateway.port}"


def test_routes_and_stage_come_from_the_template(gateway: LocalApiGateway) -> None:
    # given: a template whose stage is "beta" with GET /items, POST /items/{itemId}, ANY /files/{path+}
    origin = _origin(gateway)

    # when/then: deployed routes answer, everything else is API Gateway's 403
    assert gateway.base_url == f"{origin}/beta"
    assert http_get(f"{origin}/beta/items").status == 201
    assert http_get(f"{origin}/beta/files/a/b", method="DELETE").status == 201
    assert http_get(f"{origin}/prod/items").status == 403
    assert http_get(f"{origin}/beta/items", method="POST").status == 403
    assert http_get(f"{origin}/beta/items/42").status == 403
    assert http_get(f"{origin}/beta/files").status == 403


def test_a_request_becomes_a_rest_proxy_event(gateway: LocalApiGateway) -> None:
    # given: a GET with repeated and empty query parameters and custom headers
    url = f"{_origin(gateway)}/beta/items?a=1&a=2&b=x%20y&empty="

    # when: it is served
    answer = http_get(url, headers={"User-Agent": "probe/1", "X-Multi": "one"})
    event = answer.body["event"]

    # then: the event is what API Gateway's REST proxy integration sends
    assert event["resource"] == "/items"
    assert event["path"] == "/items"
    assert event["httpMethod"] == "GET"
    assert event["queryStringParameters"] == {"a": "2", "b": "x y", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"], "empty": [""]}
    assert event["headers"]["X-Multi"] == "one"
    assert event["multiValueHeaders"]["X-Multi"] == ["one"]
    assert event["pathParameters"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "beta"
    assert context["path"] == "/beta/items"
    assert context["resourcePath"] == "/items"
    assert context["resourceId"] == "Items"
    assert context["httpMethod"] == "GET"
    assert context["accountId"] == ACCOUNT
    assert context["requestId"] == answer.header("x-amzn-RequestId")
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "probe/1"
    assert context["identity"]["userArn"] is None


def test_repeated_headers_reach_the_multi_value_map(gateway: LocalApiGateway) -> None:
    # given: a raw request that repeats a header
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    connection.putrequest("GET", "/beta/items")
    connection.putheader("X-Multi", "one")
    connection.putheader("X-Multi", "two")
    connection.endheaders()

    # when: it is served
    event = json.loads(connection.getresponse().read())["event"]
    connection.close()

    # then: the single-value map keeps the last value, the multi-value map both
    assert event["headers"]["X-Multi"] == "two"
    assert event["multiValueHeaders"]["X-Multi"] == ["one", "two"]


def test_a_signed_request_carries_the_caller_identity(gateway: LocalApiGateway) -> None:
    # given: a signed POST with a JSON body on an AWS_IAM method with a path parameter
    url = f"{gateway.base_url}/items/42"
    body = b'{"name": "x"}'
    headers = sign(
        "POST", url, EMULATOR_CREDENTIALS, REGION, headers={"Content-Type": "application/json"}, body=body
    )

    # when: it is served
    answer = http_get(url, headers=headers, body=body, method="POST")

    # then: the event holds the body, the path parameter and the verified caller
    assert answer.status == 201
    event = answer.body["event"]
    assert event["body"] == '{"name": "x"}'
    assert event["pathParameters"] == {"itemId": "42"}
    assert event["resource"] == "/items/{itemId}"
    identity = event["requestContext"]["identity"]
    assert identity["accessKey"] == EMULATOR_CREDENTIALS.access_key
    assert identity["userArn"] == EMULATOR_CREDENTIALS.user_arn
    assert identity["accountId"] == EMULATOR_CREDENTIALS.account_id


def test_an_unsigned_request_to_an_iam_method_never_reaches_the_function(gateway: LocalApiGateway) -> None:
    # given/when: the AWS_IAM method without a signature
    answer = http_get(f"{gateway.base_url}/items/42", method="POST", body=b"{}")

    # then: 403 from the gateway (the echo handler would have answered 201)
    assert (answer.status, answer.body) == (403, {"message": "Missing Authentication Token"})


def test_a_binary_body_is_base64_encoded_and_greedy_paths_are_captured_decoded(
    gateway: LocalApiGateway,
) -> None:
    # given: a body of a type the API lists in BinaryMediaTypes, on ANY /files/{path+}
    payload = b"\x00\x01\xff"

    # when: it is PUT to a nested path with an encoded space
    answer = http_get(
        f"{gateway.base_url}/files/a/b%20c/d.bin",
        method="PUT",
        body=payload,
        headers={"Content-Type": "application/octet-stream"},
    )

    # then: the function gets it base64-encoded, and the greedy path parameter
    event = answer.body["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload
    assert event["pathParameters"] == {"path": "a/b c/d.bin"}
    assert event["path"] == "/files/a/b c/d.bin"
    assert event["resource"] == "/files/{path+}"


def test_the_context_counts_down_from_the_template_timeout(gateway: LocalApiGateway) -> None:
    # given: EchoFunction has Timeout 7 and MemorySize 512 in the template

    # when: it is invoked
    answer = http_get(f"{gateway.base_url}/items")

    # then: its context reports them, with a Lambda request id of its own
    seen = answer.body["context"]
    assert seen["function_name"] == "EchoFunction"
    assert seen["memory_limit_in_mb"] == 512
    assert 0 < seen["remaining_ms"] <= 7000
    assert seen["aws_request_id"] != answer.header("x-amzn-RequestId")


def test_the_proxy_response_maps_back_to_http(gateway: LocalApiGateway) -> None:
    # given/when: the echo handler answers 201 with a single and a multi-value header
    response = urllib.request.urlopen(f"{gateway.base_url}/items", timeout=30)

    # then: status and every header value arrive
    assert response.status == 201
    assert response.headers["X-Probe"] == "echo"
    assert response.headers.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_a_base64_response_is_sent_as_bytes(gateway: LocalApiGateway) -> None:
    # given/when: a handler answers isBase64Encoded
    response = urllib.request.urlopen(f"{gateway.base_url}/picture", timeout=30)

    # then: the client receives the decoded bytes
    assert response.headers["Content-Type"] == "image/png"
    assert response.read() == b"\x89PNG\x00"


@pytest.mark.parametrize("path", ["/broken", "/malformed", "/slow"])
def test_a_failing_malformed_or_timed_out_function_is_502(gateway: LocalApiGateway, path: str) -> None:
    # given/when: the function raises, returns no statusCode, or runs past its 1 s Timeout
    answer = http_get(f"{gateway.base_url}{path}")

    # then: API Gateway's 502
    assert (answer.status, answer.body) == (502, {"message": "Internal server error"})


def test_required_parameters_of_a_validated_method_are_checked_before_the_function(
    gateway: LocalApiGateway,
) -> None:
    # given: GET /checked requires the query parameter q (its validator checks parameters)

    # when: it is called without, and with, q
    without = http_get(f"{gateway.base_url}/checked?optional=1")
    with_q = http_get(f"{gateway.base_url}/checked?q=1")

    # then: 400 from the gateway, then the function's answer
    assert (without.status, without.body) == (400, {"message": "Missing required request parameters: [q]"})
    assert with_q.status == 201


def test_unsupported_authorization_types_are_refused_at_start(tmp_path: Path) -> None:
    # given: a template whose method uses a Cognito authorizer
    template = json.loads(json.dumps(PROBE_TEMPLATE))
    template["Resources"]["ListItems"]["Properties"]["AuthorizationType"] = "COGNITO_USER_POOLS"

    # when/then: the gateway will not pretend to enforce it
    with pytest.raises(TemplateError, match="COGNITO_USER_POOLS"):
        LocalApiGateway(
            api_from_template(template), tmp_path, region=REGION, account_id=ACCOUNT, credentials=None
        )


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (lambda resources: resources.pop("Api"), "RestApi"),
        (lambda resources: resources.pop("Stage"), "Stage"),
        (
            lambda resources: resources["ListItems"]["Properties"]["Integration"].update(Type="HTTP_PROXY"),
            "AWS_PROXY",
        ),
    ],
    ids=["no-rest-api", "no-stage", "not-lambda-proxy"],
)
def test_a_template_the_gateway_cannot_serve_is_a_clear_error(broken: Any, message: str) -> None:
    # given: a template missing a piece the gateway needs
    template = json.loads(json.dumps(PROBE_TEMPLATE))
    broken(template["Resources"])

    # when/then: reading it fails with a message naming what is missing
    with pytest.raises(TemplateError, match=message):
        api_from_template(template)


def test_the_deployed_template_serves_exactly_the_contract_routes(default_template: dict[str, Any]) -> None:
    # given/when: the synthesized default stack is read
    api = api_from_template(default_template)

    # then: the two GET routes, IAM-authorized, one function whose timeout is below API Gateway's 29 s
    assert {(route.http_method, route.resource_path, route.authorization_type) for route in api.routes} == {
        ("GET", "/images/custom", "AWS_IAM"),
        ("GET", "/v3/images/custom", "AWS_IAM"),
    }
    assert api.stage_name == "prod"
    (function,) = api.functions.values()
    assert function.handler == "listimages.handler.handle"
    assert function.timeout_seconds < 29


def test_a_chunked_body_is_refused_rather_than_misread(gateway: LocalApiGateway) -> None:
    # given: a request whose body is sent chunked (not emulated)
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    connection.request("PUT", "/beta/files/a", body=iter([b"abc"]), encode_chunked=True)

    # when: it is served
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()

    # then: a clear 400, not a function call with a wrong body
    assert (response.status, body) == (400, {"message": "Bad Request"})


# --- gateway responses: API Gateway's own errors shaped as the template says ---


def test_the_gateway_responses_are_read_from_the_deployed_template(default_template: dict[str, Any]) -> None:
    # given/when: the API read from the synthesized default stack
    responses = api_from_template(default_template).gateway_responses

    # then: every customised type is there with its status, headers and JSON template
    assert responses["ACCESS_DENIED"].status_code == 403
    assert responses["DEFAULT_5XX"].status_code is None
    assert responses["THROTTLED"].headers == (("Retry-After", "1"),)
    assert responses["INVALID_SIGNATURE"].body_template == '{"message": $context.error.messageString}'


@pytest.fixture(scope="module")
def shaped_gateway(
    tmp_path_factory: pytest.TempPathFactory, default_template: dict[str, Any]
) -> Iterator[LocalApiGateway]:
    """The probe gateway with the gateway responses ListImagesApi synthesizes."""
    template = json.loads(json.dumps(PROBE_TEMPLATE))
    for logical_id, resource in default_template["Resources"].items():
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse":
            template["Resources"][logical_id] = {
                **resource,
                "Properties": {**resource["Properties"], "RestApiId": {"Ref": "Api"}},
            }
    yield from _serve_probe(template, tmp_path_factory.mktemp("shaped"))


def test_an_unknown_access_key_gets_the_fixed_access_denied_text(shaped_gateway: LocalApiGateway) -> None:
    # given: the AWS_IAM method signed with a key the gateway does not know
    url = f"{shaped_gateway.base_url}/items/42"
    headers = sign("POST", url, LocalCredentials("AKIDSOMEONEELSE", "secret"), REGION, body=b"{}")

    # when: it is sent
    answer = http_get(url, method="POST", headers=headers, body=b"{}")

    # then: the ACCESS_DENIED response of the template, with this request's id and nothing else
    request_id = answer.header("x-amzn-RequestId")
    assert answer.status == 403
    assert answer.header("x-amzn-ErrorType") == "AccessDeniedException"
    assert set(answer.body) == {"message"}
    assert answer.body["message"].startswith("Access denied: ")
    assert answer.body["message"].endswith(f"(request id: {request_id})")


def test_signing_failures_and_other_4xx_keep_api_gateway_s_message(shaped_gateway: LocalApiGateway) -> None:
    # given/when: an unsigned IAM request, an unknown route and a request missing a required parameter
    unsigned = http_get(f"{shaped_gateway.base_url}/items/42", method="POST", body=b"{}")
    unknown = http_get(f"{shaped_gateway.base_url}/nowhere")
    missing = http_get(f"{shaped_gateway.base_url}/checked")

    # then: API Gateway's own messages, through the template's MISSING_AUTHENTICATION_TOKEN and DEFAULT_4XX
    assert (unsigned.status, unsigned.body) == (403, {"message": "Missing Authentication Token"})
    assert (unknown.status, unknown.body) == (403, {"message": "Missing Authentication Token"})
    assert (missing.status, missing.body) == (400, {"message": "Missing required request parameters: [q]"})


def test_a_failing_function_gets_the_5xx_text_with_the_request_id(shaped_gateway: LocalApiGateway) -> None:
    # given/when: a function that raises
    answer = http_get(f"{shaped_gateway.base_url}/broken")

    # then: 502 kept, the DEFAULT_5XX body carrying the request id, like the function's own 500
    request_id = answer.header("x-amzn-RequestId")
    assert (answer.status, answer.body) == (
        502,
        {"message": f"Internal server error (request id: {request_id})"},
    )


# --- hostile requests: every one gets an answer, a JSON one, and the console log stays plain text ---


@dataclass(frozen=True)
class RawAnswer:
    """An answer read off a raw socket: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def _exchange(port: int, request: bytes, *, timeout: float = 15) -> RawAnswer:
    """Send raw bytes to 127.0.0.1:``port`` and read one answer; fails if the connection gives none."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            assert chunk, f"the connection was closed without an answer (got {received!r})"
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        while len(body) < int(headers.get("content-length", "0")):
            chunk = connection.recv(65536)
            assert chunk, "the connection was closed in the middle of the answer"
            body += chunk
    return RawAnswer(int(status_line.split(" ")[1]), headers, body)


def _raw_get(path: str, *header_lines: bytes) -> bytes:
    return (
        b"GET "
        + path.encode("latin-1")
        + b" HTTP/1.1\r\nHost: x\r\n"
        + b"".join(line + b"\r\n" for line in header_lines)
        + b"\r\n"
    )


def test_a_signed_request_with_a_host_that_is_no_url_host_is_answered(gateway: LocalApiGateway) -> None:
    # given: a request to the AWS_IAM method, correctly signed over a Host header holding "[" and "]"
    url = f"{gateway.base_url}/items/42"
    headers = sign("POST", url, EMULATOR_CREDENTIALS, REGION, headers={"Host": "[local]:x"}, body=b"{}")
    lines = [f"{name}: {value}".encode() for name, value in headers.items()]

    # when: it is sent as signed, and with a signature that does not match
    answer = _exchange(gateway.port, b"POST /beta/items/42 HTTP/1.1\r\n" + b"\r\n".join(
        [*lines, b"Content-Length: 2"]) + b"\r\n\r\n{}")  # fmt: skip
    forged = _exchange(gateway.port, b"POST /beta/items/42 HTTP/1.1\r\n" + b"\r\n".join(
        [*(line for line in lines if not line.startswith(b"Authorization")),
         b"Authorization: " + headers["Authorization"].encode()[:-8] + b"00000000", b"Content-Length: 2"]
    ) + b"\r\n\r\n{}")  # fmt: skip

    # then: the function runs for the first (which sees the Host it was sent), the second is a 403
    assert answer.status == 201
    assert answer.json()["event"]["requestContext"]["domainName"] == "[local]:x"
    assert forged.status == 403
    assert forged.json() == {"message": _INVALID_SIGNATURE}


@pytest.mark.parametrize(
    ("content_length", "status"),
    [
        (b"\xb2", 400),  # "²": str.isdigit() says yes, int() says no
        (b"-1", 400),
        (b"1e3", 400),
        (b"10485761", 413),  # one byte over API Gateway's 10 MB payload quota
        (b"999999999999", 413),
        (b"4000000000", 413),
        (b"9" * 5000, 413),  # more digits than int() converts
    ],
    ids=["superscript-two", "negative", "exponent", "10MB+1", "999999999999", "4000000000", "5000-digits"],
)
def test_a_bad_or_too_large_content_length_is_answered_at_once(
    gateway: LocalApiGateway, content_length: bytes, status: int
) -> None:
    # given: a request that announces a body it does not send
    request = _raw_get("/beta/items", b"Content-Length: " + content_length)

    # when: only the head is sent (a gateway that waited for the body would never answer)
    answer = _exchange(gateway.port, request, timeout=10)

    # then: refused without reading any body: 400 for a malformed length, API Gateway's 413 over 10 MB
    assert answer.status == status
    assert answer.headers["connection"] == "close"
    if status == 413:
        assert answer.json() == {"message": "HTTP content length exceeded 10485760 bytes."}
    else:
        assert answer.json() == {"message": "Bad Request"}


def test_two_different_content_lengths_are_a_400(gateway: LocalApiGateway) -> None:
    # given/when: a request whose two Content-Length headers disagree (a request-smuggling shape)
    answer = _exchange(
        gateway.port, _raw_get("/beta/items", b"Content-Length: 2", b"Content-Length: 3") + b"{}"
    )

    # then: refused
    assert (answer.status, answer.json()) == (400, {"message": "Bad Request"})


def test_an_oversized_body_sent_in_full_still_gets_its_413(gateway: LocalApiGateway) -> None:
    # given: a client that sends 11 MB without waiting for an answer, as most HTTP clients do
    body = b"x" * (11 * 1024 * 1024)
    request = _raw_get("/beta/files/upload", f"Content-Length: {len(body)}".encode()) + body

    # when: it is sent
    answer = _exchange(gateway.port, request)

    # then: the 413 arrives (the connection is not reset under the client while it uploads)
    assert answer.status == 413


def test_a_slow_upload_of_an_oversized_body_still_gets_its_413(gateway: LocalApiGateway) -> None:
    # given: a client uploading 11 MB in pieces over about two seconds (a busy machine, a slow link)
    piece = b"x" * (1024 * 1024)
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=15) as connection:
        connection.sendall(_raw_get("/beta/files/upload", f"Content-Length: {11 * len(piece)}".encode()))

        # when: it keeps sending after the gateway has answered
        for _ in range(11):
            connection.sendall(piece)
            time.sleep(0.2)
        answer = connection.recv(65536)

    # then: the upload was never cut off (no reset under the client), and the 413 is there to read
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_body_within_the_payload_quota_reaches_the_function(gateway: LocalApiGateway) -> None:
    # given/when: a 1 MB binary body
    body = bytes(range(256)) * 4096
    answer = http_get(
        f"{gateway.base_url}/files/upload",
        method="PUT",
        body=body,
        headers={"Content-Type": "application/octet-stream"},
    )

    # then: the function got all of it
    assert answer.status == 201
    assert base64.b64decode(answer.body["event"]["body"]) == body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /beta/it ems HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /beta/it\x85ems HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /beta/it\xa0ems HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (_raw_get("/beta/items", *(b"X-H%d: v" % number for number in range(101))), 431),
        (_raw_get("/beta/items", b"X-Long: " + b"v" * 70_000), 431),
        (b"G(T /beta/items HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /beta/items HTTP/2.0\r\nHost: x\r\n\r\n", 400),
        (b"GET /beta/items HTTP/x\r\nHost: x\r\n\r\n", 400),
        (b"GARBAGE\r\n\r\n", 400),
    ],
    ids=[
        "raw-space", "byte-85", "byte-a0", "request-line-70KB", "101-headers", "header-70KB",
        "bad-method", "http-2", "bad-version", "one-word",
    ],
)  # fmt: skip
def test_a_malformed_request_gets_a_json_client_error(
    gateway: LocalApiGateway, request_bytes: bytes, status: int
) -> None:
    # given/when: a request http.server cannot parse
    answer = _exchange(gateway.port, request_bytes)

    # then: a 4xx with a JSON {"message": ...} (never http.server's HTML page, never a 5xx)
    assert answer.status == status
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.json()) == {"message"}
    assert answer.headers["connection"] == "close"


@pytest.mark.parametrize("method", ["FOO", "PROPFIND", "TRACE"])
def test_a_method_no_route_has_is_api_gateway_s_403(gateway: LocalApiGateway, method: str) -> None:
    # given/when: a well-formed method the API does not deploy (http.server would say 501)
    answer = _exchange(gateway.port, f"{method} /beta/items HTTP/1.1\r\nHost: x\r\n\r\n".encode())

    # then: API Gateway's answer for a method without a route
    assert (answer.status, answer.json()) == (403, {"message": "Missing Authentication Token"})


def test_a_request_without_a_version_gets_a_full_http_answer(gateway: LocalApiGateway) -> None:
    # given/when: an HTTP/0.9-style request line (no version)
    answer = _exchange(gateway.port, b"GET /beta/items\r\n\r\n")

    # then: a status line and headers, not a bare body
    assert answer.status == 201


def test_control_characters_of_a_request_never_reach_the_log_raw(
    gateway: LocalApiGateway, caplog: pytest.LogCaptureFixture
) -> None:
    # given: request lines carrying an ESC sequence (it would recolour the operator's terminal)
    caplog.set_level(logging.INFO, logger="local.gateway")

    # when: one is served and one is malformed
    _exchange(gateway.port, _raw_get("/beta/items/\x1b[31mred"))
    _exchange(gateway.port, b"GET /beta/\x1b[2J x HTTP/1.1\r\n\r\n")

    # then: both are logged, escaped
    messages = [record.getMessage() for record in caplog.records if record.name == "local.gateway"]
    assert any("/beta/items/\\x1b[31mred" in message for message in messages)
    assert any("/beta/\\x1b[2J" in message for message in messages)
    assert not any("\x1b" in message for message in messages)


def _wait_until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.02)


@pytest.fixture
def impatient_gateway(tmp_path: Path) -> Iterator[LocalApiGateway]:
    """The probe gateway closing connections silent for 0.5 s, serving at most 4 at once."""
    yield from _serve_probe(PROBE_TEMPLATE, tmp_path, idle_timeout_seconds=0.5, max_connections=4)


def test_silent_connections_are_closed_after_the_idle_timeout(impatient_gateway: LocalApiGateway) -> None:
    # given: connections that send nothing, and one that stops in the middle of its headers
    silent = [socket.create_connection(("127.0.0.1", impatient_gateway.port), timeout=10) for _ in range(3)]
    silent[0].sendall(b"GET /beta/items HTTP/1.1\r\nHost: x\r\n")

    # when/then: the gateway closes each of them (recv sees the end of the stream, not a 10 s timeout)
    for connection in silent:
        with connection:
            assert connection.recv(1024) == b""


def test_a_connection_over_the_limit_gets_api_gateway_s_429_at_once(
    impatient_gateway: LocalApiGateway,
) -> None:
    # given: as many silent connections as the gateway serves at once, each being served
    silent = [socket.create_connection(("127.0.0.1", impatient_gateway.port), timeout=10) for _ in range(4)]
    _wait_until(lambda: impatient_gateway.open_connections == 4)

    # when: one more client sends a request
    answer = _exchange(impatient_gateway.port, _raw_get("/beta/items"), timeout=5)

    # then: it is refused as throttled, by the accepting thread (no connection served beyond the four)
    assert (answer.status, answer.json()) == (429, {"message": "Too Many Requests"})
    assert impatient_gateway.open_connections == 4
    for connection in silent:
        connection.close()

    # and: once the silent ones are gone, requests are served again
    deadline = time.monotonic() + 10
    while (served := _exchange(impatient_gateway.port, _raw_get("/beta/items"))).status == 429:
        assert time.monotonic() < deadline, "the connection slots were never released"
        time.sleep(0.1)
    assert served.status == 201


def test_a_body_that_never_comes_is_a_408(impatient_gateway: LocalApiGateway) -> None:
    # given/when: a request announcing 10 bytes of body, sending 2, then going silent
    answer = _exchange(impatient_gateway.port, _raw_get("/beta/items", b"Content-Length: 10") + b"{}")

    # then: a timeout answer once the connection has been silent for the idle timeout
    assert (answer.status, answer.json()) == (408, {"message": "Request Timeout"})


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"\r\n\r\nGET /beta/items HTTP/1.1\r\nHost: x\r\n\r\n", 201),
        (b"\n" * 9 + b"GET /beta/items HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"   \r\n\r\n", 400),
    ],
    ids=["two-empty-lines-first", "nine-empty-lines-first", "spaces-only"],
)
def test_empty_lines_before_the_request_line_are_ignored_or_answered(
    gateway: LocalApiGateway, request_bytes: bytes, status: int
) -> None:
    # given/when: a request preceded by empty lines (RFC 9112 says ignore them), or a line of spaces
    answer = _exchange(gateway.port, request_bytes)

    # then: served, or a JSON 400 past a few empty lines; never a connection closed without a word
    assert answer.status == status
