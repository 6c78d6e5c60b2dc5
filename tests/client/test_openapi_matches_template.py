"""The OpenAPI document describes the API the stack deploys: same routes, same auth, same required inputs."""

from __future__ import annotations

import json
from typing import Any

from local.template import api_from_template
from tests.openapi_contract import load_openapi_document


def _declared_query_parameters(template: dict[str, Any]) -> dict[str, dict[str, bool]]:
    """Each deployed method's query parameters (name -> required), keyed by its resource's logical id."""
    prefix = "method.request.querystring."
    return {
        resource["Properties"]["ResourceId"]["Ref"]: {
            name.removeprefix(prefix): required
            for name, required in resource["Properties"].get("RequestParameters", {}).items()
            if name.startswith(prefix)
        }
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::ApiGateway::Method"
    }


def test_document_operations_are_the_deployed_routes(default_template: dict[str, Any]) -> None:
    # given the API read from the synthesized default stack, and the document
    api = api_from_template(default_template)
    declared = _declared_query_parameters(default_template)
    document = load_openapi_document()
    parameters = document["components"]["parameters"]

    # when both are reduced to (METHOD, path) pairs
    deployed = {(route.http_method, route.resource_path) for route in api.routes}
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}

    # then they are the same set, each IAM-authorized as the document's sigv4 scheme says
    assert deployed == documented
    for route in api.routes:
        assert route.authorization_type == "AWS_IAM"
        operation = document["paths"][route.resource_path][route.http_method.lower()]
        documented_parameters = [
            parameters[reference["$ref"].rsplit("/", 1)[-1]] for reference in operation["parameters"]
        ]
        # and the route declares exactly the query parameters the document lists for it
        assert {parameter["in"] for parameter in documented_parameters} == {"query"}
        assert {parameter["name"] for parameter in documented_parameters} == set(declared[route.resource_id])
        # and the document's required flags are the contract's: imageStatus required, the others optional
        assert {parameter["name"]: parameter["required"] for parameter in documented_parameters} == {
            "imageStatus": True,
            "region": False,
            "nextToken": False,
        }
        # and API Gateway requires none of them itself (imageStatus may come in a JSON body instead, so the
        # function reports it missing, with the contract's message)
        assert not any(declared[route.resource_id].values())
        assert route.validation.required_query_parameters == ()


def _gateway_response_templates(template: dict[str, Any]) -> dict[str, str]:
    properties = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse"
    ]
    return {props["ResponseType"]: props["ResponseTemplates"]["application/json"] for props in properties}


def _status_example(document: dict[str, Any], status: str) -> Any:
    """The single example body the document gives for ``status`` (the same on every route)."""
    examples = []
    for item in document["paths"].values():
        reference = item["get"]["responses"][status]["$ref"]
        response = document["components"]["responses"][reference.rsplit("/", 1)[-1]]
        examples.append(response["content"]["application/json"]["example"])
    assert all(example == examples[0] for example in examples)
    return examples[0]


def _gateway_response_statuses(template: dict[str, Any]) -> dict[str, str | None]:
    return {
        resource["Properties"]["ResponseType"]: resource["Properties"].get("StatusCode")
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse"
    }


def test_documented_gateway_errors_are_the_deployed_ones(default_template: dict[str, Any]) -> None:
    # given the document's access-denied, 500, 502 and 504 examples, and the deployed gateway responses
    document = load_openapi_document()
    responses = document["components"]["responses"]
    denied = responses["Forbidden"]["content"]["application/json"]["examples"]["accessDenied"]["value"]
    templates = _gateway_response_templates(default_template)
    statuses = _gateway_response_statuses(default_template)

    # when each template is rendered with the request id its example shows
    def rendered(response_type: str, example: dict[str, str]) -> Any:
        request_id = example["message"].rsplit("request id: ", 1)[1].rstrip(")")
        return json.loads(templates[response_type].replace("$context.requestId", request_id))

    # then the examples are exactly what API Gateway answers (the 500 reads like the function's own too)
    assert rendered("ACCESS_DENIED", denied) == denied
    assert rendered("DEFAULT_5XX", _status_example(document, "500")) == _status_example(document, "500")
    # and the documented 502 is DEFAULT_5XX's answer, which keeps the failing integration's 502
    assert rendered("DEFAULT_5XX", _status_example(document, "502")) == _status_example(document, "502")
    assert statuses["DEFAULT_5XX"] is None
    # and the documented 504 is the integration timeout's answer, with its status
    assert rendered("INTEGRATION_TIMEOUT", _status_example(document, "504")) == _status_example(
        document, "504"
    )
    assert statuses["INTEGRATION_TIMEOUT"] == "504"
