"""The OpenAPI document describes the API the stack deploys: same routes, same auth, same required inputs."""

from __future__ import annotations

import json
from typing import Any

from local.template import api_from_template
from tests.openapi_contract import load_openapi_document


def test_document_operations_are_the_deployed_routes(default_template: dict[str, Any]) -> None:
    # given the API read from the synthesized default stack, and the document
    api = api_from_template(default_template)
    document = load_openapi_document()

    # when both are reduced to (METHOD, path) pairs
    deployed = {(route.http_method, route.resource_path) for route in api.routes}
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}

    # then they are the same set, every deployed route is IAM-authorized as the document's sigv4 scheme says,
    # and API Gateway requires no query parameter the document does not (it may require fewer: imageStatus
    # may also come in a JSON body, so the function, not API Gateway, reports it missing)
    assert deployed == documented
    parameters = document["components"]["parameters"]
    for route in api.routes:
        assert route.authorization_type == "AWS_IAM"
        operation = document["paths"][route.resource_path][route.http_method.lower()]
        required = {
            parameters[reference["$ref"].rsplit("/", 1)[-1]]["name"]
            for reference in operation["parameters"]
            if parameters[reference["$ref"].rsplit("/", 1)[-1]].get("required")
        }
        assert set(route.validation.required_query_parameters) <= required


def _gateway_response_templates(template: dict[str, Any]) -> dict[str, str]:
    properties = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse"
    ]
    return {props["ResponseType"]: props["ResponseTemplates"]["application/json"] for props in properties}


def test_documented_gateway_errors_are_the_deployed_ones(default_template: dict[str, Any]) -> None:
    # given the document's access-denied and 500 examples, and the deployed gateway responses
    responses = load_openapi_document()["components"]["responses"]
    denied = responses["Forbidden"]["content"]["application/json"]["examples"]["accessDenied"]["value"]
    internal = responses["InternalServerError"]["content"]["application/json"]["example"]
    templates = _gateway_response_templates(default_template)

    # when each template is rendered with the request id its example shows
    def rendered(response_type: str, example: dict[str, str]) -> Any:
        request_id = example["message"].rsplit("request id: ", 1)[1].rstrip(")")
        return json.loads(templates[response_type].replace("$context.requestId", request_id))

    # then the examples are exactly what API Gateway answers (the 500 reads like the function's own too)
    assert rendered("ACCESS_DENIED", denied) == denied
    assert rendered("DEFAULT_5XX", internal) == internal
