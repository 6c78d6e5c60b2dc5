"""The local API Gateway itself, on a hand-written template and probe handlers (no AWS involved).

Proves that routes, methods, authorization, stage, validation and function settings come from the
template, and how HTTP maps to REST (v1) proxy events and back.
"""

from __future__ import annotations

import base64
import http.client
import json
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local import EMULATOR_CREDENTIALS, LocalApiGateway, TemplateError, api_from_template
from local.sigv4 import LocalCredentials, sign
from tests.e2e.support import http_get

REGION = "eu-west-1"
ACCOUNT = "111122223333"

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


def _serve_probe(template: dict[str, Any], code_root: Path) -> Iterator[LocalApiGateway]:
    """Serve ``template`` with probe/handlers.py written under ``code_root``, for a fixture to yield."""
    (code_root / "probe").mkdir()
    (code_root / "probe" / "__init__.py").write_text("")
    (code_root / "probe" / "handlers.py").write_text(_PROBE_HANDLERS)
    with LocalApiGateway(
        api_from_template(template),
        code_root,
        region=REGION,
        account_id=ACCOUNT,
        credentials=EMULATOR_CREDENTIALS,
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
