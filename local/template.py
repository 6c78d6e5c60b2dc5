"""Read the API a synthesized CloudFormation template deploys: routes, stage and Lambda functions.

The local gateway serves exactly what this module finds in the template, so it cannot drift from
what `cdk deploy` creates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# CloudFormation's own default when a function has no Timeout property.
_DEFAULT_LAMBDA_TIMEOUT_SECONDS = 3
_DEFAULT_LAMBDA_MEMORY_MB = 128
_REQUIRED_PARAMETER = re.compile(r"^method\.request\.(querystring|header|path)\.(.+)$")


class TemplateError(ValueError):
    """The template does not describe an API Gateway REST API that the local gateway can serve."""


@dataclass(frozen=True)
class FunctionDefinition:
    """A Lambda function of the template, as the local gateway runs it.

    Parameters
    ----------
    logical_id:
        The function's logical id in the template (used as its local function name).
    handler:
        The handler string, e.g. ``"listimages.handler.handle"``.
    timeout_seconds:
        The function's Timeout; the Lambda context's remaining time counts down from it.
    memory_mb:
        The function's MemorySize, reported by the Lambda context.
    environment:
        The function's literal environment variables (values that are CloudFormation
        expressions, such as a ``Ref``, are left out: they only exist once deployed).
    log_level:
        The application log level from the function's LoggingConfig, if any.
    """

    logical_id: str
    handler: str
    timeout_seconds: int = _DEFAULT_LAMBDA_TIMEOUT_SECONDS
    memory_mb: int = _DEFAULT_LAMBDA_MEMORY_MB
    environment: Mapping[str, str] = field(default_factory=dict)
    log_level: str | None = None


@dataclass(frozen=True)
class RequestValidation:
    """What API Gateway validates before it calls the integration (a method's request validator)."""

    required_query_parameters: tuple[str, ...] = ()
    required_headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """One API Gateway method: an HTTP method on a resource path, and what it invokes.

    Parameters
    ----------
    resource_path:
        The resource path as API Gateway names it, e.g. ``"/images/custom"`` or ``"/items/{id}"``.
    http_method:
        ``"GET"``, ``"POST"``, ... or ``"ANY"``.
    authorization_type:
        ``"NONE"``, ``"AWS_IAM"``, ``"CUSTOM"`` or ``"COGNITO_USER_POOLS"``.
    function_logical_id:
        The Lambda function its AWS_PROXY integration invokes.
    resource_id:
        The logical id of the ``AWS::ApiGateway::Resource`` (reported as the event's resourceId).
    validation:
        The request parameters API Gateway requires before invoking the function.
    """

    resource_path: str
    http_method: str
    authorization_type: str
    function_logical_id: str
    resource_id: str
    validation: RequestValidation = RequestValidation()

    def match(self, path: str) -> dict[str, str] | None:
        """Return the path parameters if ``path`` (without the stage) is this route's resource, else None."""
        return _match_resource_path(self.resource_path, path)


@dataclass(frozen=True)
class GatewayResponseDefinition:
    """An ``AWS::ApiGateway::GatewayResponse``: how API Gateway answers its own errors of one type.

    Parameters
    ----------
    status_code:
        The status it answers with; None keeps the status of the error it replaces.
    headers:
        Literal response headers (``gatewayresponse.header.<name>: "'value'"``).
    body_template:
        The ``application/json`` template (plain ``$context`` substitution), or None for API Gateway's own.
    """

    status_code: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body_template: str | None = None


@dataclass(frozen=True)
class ApiDefinition:
    """The REST API a template deploys, reduced to what a local gateway needs.

    ``gateway_responses`` maps a gateway response type (``ACCESS_DENIED``, ``DEFAULT_4XX``, ...) to its
    customisation in the template.
    """

    rest_api_id: str
    stage_name: str
    routes: tuple[Route, ...]
    functions: Mapping[str, FunctionDefinition]
    binary_media_types: tuple[str, ...] = ()
    gateway_responses: Mapping[str, GatewayResponseDefinition] = field(default_factory=dict)

    def find_route(self, http_method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """Return the route that serves ``http_method`` on ``path`` and its path parameters, or None.

        An exact method wins over ``ANY``, and a literal resource path over one with parameters,
        as API Gateway resolves them.
        """
        candidates: list[tuple[int, Route, dict[str, str]]] = []
        for route in self.routes:
            if route.http_method not in (http_method, "ANY"):
                continue
            parameters = route.match(path)
            if parameters is None:
                continue
            rank = len(parameters) * 2 + (1 if route.http_method == "ANY" else 0)
            candidates.append((rank, route, parameters))
        if not candidates:
            return None
        _, route, parameters = min(candidates, key=lambda candidate: candidate[0])
        return route, parameters


def api_from_template(template: Mapping[str, Any]) -> ApiDefinition:
    """Read the single REST API of a synthesized template.

    Parameters
    ----------
    template:
        The template as a dict (the parsed ``<Stack>.template.json``).

    Raises
    ------
    TemplateError
        When the template has no REST API, several, no stage, or a method whose integration is not a
        Lambda proxy integration.

    Example
    -------
    >>> api = api_from_template(json.loads(Path("cdk.out/ListImagesStack.template.json").read_text()))
    >>> [(route.http_method, route.resource_path) for route in api.routes]
    [('GET', '/images/custom'), ('GET', '/v3/images/custom')]
    """
    resources: Mapping[str, Mapping[str, Any]] = template.get("Resources", {})
    rest_api_id = _single_rest_api(resources)
    paths = _resource_paths(resources, rest_api_id)
    validators = _request_validators(resources)
    routes: list[Route] = []
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::ApiGateway::Method":
            continue
        properties = resource.get("Properties", {})
        resource_id = _resource_logical_id(properties.get("ResourceId"), rest_api_id)
        if resource_id not in paths:
            raise TemplateError(f"method {logical_id} points at an unknown resource")
        routes.append(
            Route(
                resource_path=paths[resource_id],
                http_method=str(properties.get("HttpMethod", "")).upper(),
                authorization_type=str(properties.get("AuthorizationType", "NONE")).upper(),
                function_logical_id=_integration_function(logical_id, properties.get("Integration", {})),
                resource_id=resource_id,
                validation=_validation(properties, validators),
            )
        )
    if not routes:
        raise TemplateError("the REST API has no methods")
    functions = {
        function_id: _function_definition(function_id, resources)
        for function_id in {route.function_logical_id for route in routes}
    }
    binary_media_types = resources[rest_api_id].get("Properties", {}).get("BinaryMediaTypes", [])
    return ApiDefinition(
        rest_api_id=rest_api_id,
        stage_name=_stage_name(resources, rest_api_id),
        routes=tuple(sorted(routes, key=lambda route: (route.resource_path, route.http_method))),
        functions=functions,
        binary_media_types=tuple(str(media_type) for media_type in binary_media_types),
        gateway_responses=_gateway_responses(resources, rest_api_id),
    )


def _gateway_responses(
    resources: Mapping[str, Mapping[str, Any]], rest_api_id: str
) -> dict[str, GatewayResponseDefinition]:
    """The API's gateway responses by type (header values that are not literals are left out)."""
    responses = {}
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource.get("Type") != "AWS::ApiGateway::GatewayResponse" or properties.get("RestApiId") != {
            "Ref": rest_api_id
        }:
            continue
        headers = tuple(
            (name.removeprefix("gatewayresponse.header."), value[1:-1])
            for name, value in properties.get("ResponseParameters", {}).items()
            if name.startswith("gatewayresponse.header.")
            and isinstance(value, str)
            and len(value) >= 2
            and value[0] == value[-1] == "'"
        )
        status = properties.get("StatusCode")
        responses[str(properties.get("ResponseType"))] = GatewayResponseDefinition(
            status_code=int(status) if status is not None else None,
            headers=headers,
            body_template=properties.get("ResponseTemplates", {}).get("application/json"),
        )
    return responses


def _single_rest_api(resources: Mapping[str, Mapping[str, Any]]) -> str:
    rest_apis = [key for key, value in resources.items() if value.get("Type") == "AWS::ApiGateway::RestApi"]
    if len(rest_apis) != 1:
        raise TemplateError(f"expected exactly one AWS::ApiGateway::RestApi, found {len(rest_apis)}")
    return rest_apis[0]


def _is_root_reference(value: Any, rest_api_id: str) -> bool:
    return isinstance(value, Mapping) and value.get("Fn::GetAtt") == [rest_api_id, "RootResourceId"]


def _resource_logical_id(value: Any, rest_api_id: str) -> str:
    """A method's or resource's ResourceId/ParentId: ``Ref`` to a resource, or the API's root."""
    if _is_root_reference(value, rest_api_id):
        return rest_api_id
    if isinstance(value, Mapping) and isinstance(value.get("Ref"), str):
        return str(value["Ref"])
    raise TemplateError(f"unsupported resource reference {value!r}")


def _resource_paths(resources: Mapping[str, Mapping[str, Any]], rest_api_id: str) -> dict[str, str]:
    """Resolve every AWS::ApiGateway::Resource to its full path by following ParentId chains."""
    parents: dict[str, tuple[str, str]] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::ApiGateway::Resource":
            properties = resource.get("Properties", {})
            parent = _resource_logical_id(properties.get("ParentId"), rest_api_id)
            parents[logical_id] = (parent, str(properties.get("PathPart", "")))

    paths = {rest_api_id: "/"}

    def resolve(logical_id: str, seen: frozenset[str]) -> str:
        if logical_id in paths:
            return paths[logical_id]
        if logical_id in seen or logical_id not in parents:
            raise TemplateError(f"resource {logical_id} has no path to the API root")
        parent, path_part = parents[logical_id]
        parent_path = resolve(parent, seen | {logical_id})
        paths[logical_id] = parent_path.rstrip("/") + "/" + path_part
        return paths[logical_id]

    for logical_id in parents:
        resolve(logical_id, frozenset())
    return paths


def _request_validators(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, bool]:
    """Map each RequestValidator's logical id to whether it validates request parameters."""
    return {
        logical_id: bool(resource.get("Properties", {}).get("ValidateRequestParameters", False))
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::ApiGateway::RequestValidator"
    }


def _validation(properties: Mapping[str, Any], validators: Mapping[str, bool]) -> RequestValidation:
    validator = properties.get("RequestValidatorId")
    validator_id = validator.get("Ref") if isinstance(validator, Mapping) else None
    if not validators.get(str(validator_id), False):
        return RequestValidation()
    query: list[str] = []
    headers: list[str] = []
    for name, required in properties.get("RequestParameters", {}).items():
        match = _REQUIRED_PARAMETER.match(name)
        if required is True and match:
            location, parameter = match.groups()
            if location == "querystring":
                query.append(parameter)
            elif location == "header":
                headers.append(parameter)
    return RequestValidation(required_query_parameters=tuple(query), required_headers=tuple(headers))


def _integration_function(method_id: str, integration: Mapping[str, Any]) -> str:
    if integration.get("Type") != "AWS_PROXY":
        raise TemplateError(f"method {method_id}: only Lambda proxy (AWS_PROXY) integrations are served")
    function_ids = list(_function_references(integration.get("Uri")))
    if len(set(function_ids)) != 1:
        raise TemplateError(f"method {method_id}: cannot tell which Lambda function the integration calls")
    return function_ids[0]


def _function_references(value: Any) -> list[str]:
    """Logical ids named by ``Fn::GetAtt [<id>, Arn]`` anywhere inside a template expression."""
    if isinstance(value, Mapping):
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, list) and len(get_att) == 2 and get_att[1] == "Arn":
            return [str(get_att[0])]
        return [found for item in value.values() for found in _function_references(item)]
    if isinstance(value, list):
        return [found for item in value for found in _function_references(item)]
    return []


def _function_definition(logical_id: str, resources: Mapping[str, Mapping[str, Any]]) -> FunctionDefinition:
    resource = resources.get(logical_id, {})
    if resource.get("Type") != "AWS::Lambda::Function":
        raise TemplateError(f"integration target {logical_id} is not an AWS::Lambda::Function")
    properties = resource.get("Properties", {})
    variables = properties.get("Environment", {}).get("Variables", {})
    return FunctionDefinition(
        logical_id=logical_id,
        handler=str(properties["Handler"]),
        timeout_seconds=int(properties.get("Timeout", _DEFAULT_LAMBDA_TIMEOUT_SECONDS)),
        memory_mb=int(properties.get("MemorySize", _DEFAULT_LAMBDA_MEMORY_MB)),
        environment={name: value for name, value in variables.items() if isinstance(value, str)},
        log_level=properties.get("LoggingConfig", {}).get("ApplicationLogLevel"),
    )


def _stage_name(resources: Mapping[str, Mapping[str, Any]], rest_api_id: str) -> str:
    stages = [
        str(resource["Properties"]["StageName"])
        for resource in resources.values()
        if resource.get("Type") == "AWS::ApiGateway::Stage"
        and resource.get("Properties", {}).get("RestApiId") == {"Ref": rest_api_id}
    ]
    if len(stages) != 1:
        raise TemplateError(f"expected exactly one AWS::ApiGateway::Stage for the API, found {len(stages)}")
    return stages[0]


def _match_resource_path(resource_path: str, path: str) -> dict[str, str] | None:
    """Match a request path against a resource path with ``{name}`` and greedy ``{name+}`` parts."""
    template_parts = [part for part in resource_path.split("/") if part]
    path_parts = [part for part in path.split("/") if part]
    parameters: dict[str, str] = {}
    for index, template_part in enumerate(template_parts):
        if template_part.startswith("{") and template_part.endswith("+}"):
            rest = path_parts[index:]
            if not rest:
                return None
            parameters[template_part[1:-2]] = "/".join(rest)
            return parameters
        if index >= len(path_parts):
            return None
        if template_part.startswith("{") and template_part.endswith("}"):
            parameters[template_part[1:-1]] = path_parts[index]
        elif template_part != path_parts[index]:
            return None
    return parameters if len(template_parts) == len(path_parts) else None
