"""The OpenAPI document is valid, and the contract checker accepts what it documents and nothing else."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.client.samples import AVAILABLE_IMAGE
from tests.openapi_contract import assert_conforms_to_openapi, load_openapi_document

LIST_IMAGES_PATHS = ["/images/custom", "/v3/images/custom"]

FAILED_IMAGE = {
    "imageId": "broken-image-2",
    "imageBuildStatus": "BUILD_FAILED",
    "cloudformationStackStatus": "ROLLBACK_COMPLETE",
    "cloudformationStackArn": "arn:aws:cloudformation:us-east-1:123456789012:stack/broken-image-2/abc",
    "region": "us-east-1",
    "version": "3.9.0",
}


def proxy_response(status: int, body: Any, **headers: str) -> dict[str, Any]:
    """An API Gateway proxy response with a JSON body and the given extra headers."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **headers},
        "body": body if isinstance(body, str) else json.dumps(body),
    }


def test_document_is_valid_openapi_3() -> None:
    # given the document as shipped
    document = load_openapi_document()

    # when / then: openapi-spec-validator raises on any structural error
    validate(document)
    assert document["openapi"].startswith("3.0.")


def test_document_declares_the_contract_essentials() -> None:
    # given the parsed document
    document = load_openapi_document()
    schemas = document["components"]["schemas"]

    # then both routes take the same query parameters, imageStatus required
    for path in LIST_IMAGES_PATHS:
        parameters = document["paths"][path]["get"]["parameters"]
        names = [
            document["components"]["parameters"][p["$ref"].rsplit("/", 1)[-1]]["name"] for p in parameters
        ]
        assert names == ["imageStatus", "region", "nextToken"]
        # (502 and 504 are API Gateway's own: the function failed, or did not answer within 29 s)
        assert sorted(document["paths"][path]["get"]["responses"]) == [
            "200",
            "400",
            "403",
            "429",
            "500",
            "502",
            "504",
        ]
    assert document["components"]["parameters"]["ImageStatus"]["required"] is True
    assert schemas["ImageStatusFilteringOption"]["enum"] == ["AVAILABLE", "PENDING", "FAILED"]
    # and the summary schema is the one ParallelCluster's generated clients rely on
    summary = schemas["ImageInfoSummary"]
    assert summary["required"] == ["imageId", "imageBuildStatus", "region", "version"]
    assert summary["properties"]["imageId"]["pattern"] == "^[a-zA-Z][a-zA-Z0-9-]+$"
    assert len(schemas["CloudFormationStackStatus"]["enum"]) == 16
    # and IAM auth is declared the way API Gateway exports it
    assert document["security"] == [{"sigv4": []}]
    assert document["components"]["securitySchemes"]["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"


def documented_examples() -> list[Any]:
    """Every response example in the document, as (path, proxy response) params."""
    document = load_openapi_document()
    components = document["components"]["responses"]
    examples = []
    for path in LIST_IMAGES_PATHS:
        for status, reference in document["paths"][path]["get"]["responses"].items():
            response = components[reference["$ref"].rsplit("/", 1)[-1]]
            headers = {name: str(header["example"]) for name, header in response.get("headers", {}).items()}
            media = response["content"]["application/json"]
            bodies = (
                [media["example"]] if "example" in media else [e["value"] for e in media["examples"].values()]
            )
            examples += [
                pytest.param(
                    path, proxy_response(int(status), body, **headers), id=f"{path}-{status}-{index}"
                )
                for index, body in enumerate(bodies)
            ]
    return examples


@pytest.mark.parametrize(("path", "response"), documented_examples())
def test_documented_examples_conform(path: str, response: dict[str, Any]) -> None:
    # when / then: the document's own examples are answers it allows
    assert_conforms_to_openapi(response, path=path)


@pytest.mark.parametrize("path", LIST_IMAGES_PATHS)
@pytest.mark.parametrize(
    "response",
    [
        pytest.param(proxy_response(200, {"images": []}), id="200-empty"),
        pytest.param(proxy_response(200, {"images": [AVAILABLE_IMAGE]}), id="200-available"),
        pytest.param(
            proxy_response(200, {"images": [FAILED_IMAGE], "nextToken": "opaque"}), id="200-stack-token"
        ),
        pytest.param(
            proxy_response(200, {"images": []}, **{"Content-Type": "application/json; charset=utf-8"}),
            id="200-charset",
        ),
        pytest.param(
            {
                "statusCode": 200,
                "multiValueHeaders": {"content-type": ["application/json"]},
                "body": '{"images":[]}',
            },
            id="200-multi-value-headers",
        ),
        pytest.param(
            {
                "statusCode": 200,
                "headers": {"content-type": "application/json"},
                "isBase64Encoded": True,
                "body": base64.b64encode(b'{"images": []}').decode(),
            },
            id="200-base64",
        ),
        pytest.param(
            proxy_response(400, {"message": "Bad Request: Missing query parameter 'imageStatus'"}), id="400"
        ),
        pytest.param(proxy_response(403, {"message": "Missing Authentication Token"}), id="403"),
        pytest.param(proxy_response(429, {"message": "Throttled"}, **{"Retry-After": "2"}), id="429"),
        pytest.param(proxy_response(500, {"message": "Internal error (request id abc)"}), id="500"),
        pytest.param(
            proxy_response(502, {"message": "Internal server error (request id: abc)"}), id="502-gateway"
        ),
        pytest.param(
            proxy_response(504, {"message": "Endpoint request timed out (request id: abc)"}),
            id="504-gateway",
        ),
    ],
)
def test_documented_responses_conform(response: dict[str, Any], path: str) -> None:
    # when / then: no AssertionError
    assert_conforms_to_openapi(response, path=path, method="GET")


@pytest.mark.parametrize(
    ("response", "expected_problem"),
    [
        pytest.param(
            proxy_response(404, {"message": "x"}), "status 404 is not documented", id="undocumented-status"
        ),
        pytest.param(
            proxy_response(501, {"message": "x"}), "status 501 is not documented", id="undocumented-5xx"
        ),
        pytest.param(
            proxy_response(502, {"error": "x"}), "'message' is a required property", id="gateway-502-shape"
        ),
        pytest.param(
            proxy_response(504, {"message": "x", "detail": "y"}),
            "Additional properties",
            id="gateway-504-shape",
        ),
        pytest.param({"statusCode": "200", "body": "{}"}, "statusCode must be an int", id="status-not-int"),
        pytest.param(
            proxy_response(200, {"images": []}, **{"Content-Type": "text/plain"}),
            "Content-Type",
            id="wrong-media",
        ),
        pytest.param({"statusCode": 200, "body": '{"images": []}'}, "Content-Type", id="no-content-type"),
        pytest.param(proxy_response(200, "not json"), "body is not JSON", id="body-not-json"),
        pytest.param(proxy_response(200, {}), "'images' is a required property", id="images-missing"),
        pytest.param(proxy_response(200, {"images": None}), "None is not of type 'array'", id="images-null"),
        pytest.param(
            proxy_response(200, {"images": [], "nextToken": None}),
            "None is not of type 'string'",
            id="token-null",
        ),
        pytest.param(
            proxy_response(200, {"images": [], "nextToken": ""}), "should be non-empty", id="token-empty"
        ),
        pytest.param(
            proxy_response(200, {"images": [], "next_token": "x"}),
            "Additional properties",
            id="snake-case-key",
        ),
        pytest.param(
            proxy_response(200, {"images": [{**AVAILABLE_IMAGE, "imageId": "-starts-with-dash"}]}),
            "does not match",
            id="image-id-pattern",
        ),
        pytest.param(
            proxy_response(200, {"images": [{**AVAILABLE_IMAGE, "imageId": ""}]}),
            "does not match",
            id="image-id-empty",
        ),
        pytest.param(
            proxy_response(200, {"images": [{k: v for k, v in AVAILABLE_IMAGE.items() if k != "version"}]}),
            "'version' is a required property",
            id="version-missing",
        ),
        pytest.param(
            proxy_response(200, {"images": [{**AVAILABLE_IMAGE, "imageBuildStatus": "AVAILABLE"}]}),
            "is not one of",
            id="build-status-enum",
        ),
        pytest.param(
            proxy_response(200, {"images": [{**FAILED_IMAGE, "cloudformationStackStatus": "FAILED"}]}),
            "is not one of",
            id="stack-status-enum",
        ),
        pytest.param(
            proxy_response(200, {"images": [{**AVAILABLE_IMAGE, "ec2AmiInfo": {"ami_id": "ami-1"}}]}),
            "'amiId' is a required property",
            id="ami-info-snake-case",
        ),
        pytest.param(
            proxy_response(200, {"images": [{**AVAILABLE_IMAGE, "accountId": "123456789012"}]}),
            "Additional properties",
            id="extra-image-field",
        ),
        pytest.param(
            proxy_response(400, {"error": "bad"}), "'message' is a required property", id="error-shape"
        ),
        pytest.param(
            proxy_response(500, {"message": "x", "stackTrace": ["..."]}),
            "Additional properties",
            id="error-extra",
        ),
        pytest.param(
            proxy_response(429, {"message": "slow down"}), "required header 'Retry-After'", id="429-no-retry"
        ),
        pytest.param(
            proxy_response(429, {"message": "slow down"}, **{"Retry-After": "soon"}),
            "'soon' is not an integer",
            id="429-retry-not-int",
        ),
        pytest.param(
            proxy_response(429, {"message": "slow down"}, **{"Retry-After": "-1"}),
            "less than the minimum",
            id="429-retry-negative",
        ),
    ],
)
def test_off_contract_responses_fail(response: dict[str, Any], expected_problem: str) -> None:
    # when the response departs from the document, then the checker says how
    with pytest.raises(AssertionError, match=expected_problem):
        assert_conforms_to_openapi(response)


def test_undocumented_operation_fails() -> None:
    # given a well-formed response, when checked against a path or method the API does not have
    response = proxy_response(200, {"images": []})

    # then the checker refuses it
    with pytest.raises(AssertionError, match="not an operation"):
        assert_conforms_to_openapi(response, path="/images/official")
    with pytest.raises(AssertionError, match="not an operation"):
        assert_conforms_to_openapi(response, method="post")


def test_every_problem_is_reported_at_once() -> None:
    # given a response wrong in three independent ways
    response = {"statusCode": 429, "headers": {"Content-Type": "text/html"}, "body": '{"msg": 1}'}

    # when checked
    with pytest.raises(AssertionError) as failure:
        assert_conforms_to_openapi(response)

    # then each problem is named
    message = str(failure.value)
    assert "Retry-After" in message
    assert "Content-Type" in message
    assert "'message' is a required property" in message
