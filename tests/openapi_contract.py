"""Check API Gateway proxy responses against the endpoint's OpenAPI document.

Every test that produces a handler response routes it through `assert_conforms_to_openapi`, so the
document and the implementation cannot drift apart silently.
"""

from __future__ import annotations

import base64
import functools
import json
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

OPENAPI_DOCUMENT_PATH = Path(__file__).resolve().parent.parent / "openapi" / "listimages.openapi.yaml"

# The document is registered under this URI so that `$ref`s like "#/components/schemas/X" resolve in it.
_DOCUMENT_URI = "urn:listimages:openapi"
_JSON_MEDIA_TYPE = "application/json"


@functools.cache
def load_openapi_document() -> dict[str, Any]:
    """Return the parsed OpenAPI document (read once per process)."""
    document: dict[str, Any] = yaml.safe_load(OPENAPI_DOCUMENT_PATH.read_text(encoding="utf-8"))
    return document


@functools.cache
def _registry() -> Registry[Any]:
    # OpenAPI 3.0 schema objects are a JSON Schema draft 4/5 dialect.
    resource = Resource.from_contents(load_openapi_document(), default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource(_DOCUMENT_URI, resource)
    return registry


def _json_pointer(*keys: str) -> str:
    return "".join("/" + key.replace("~", "~0").replace("/", "~1") for key in keys)


def _follow_refs(pointer: str) -> tuple[str, Any]:
    """Return the node at `pointer` (and its own pointer) after following local `$ref`s."""
    resolver = _registry().resolver(base_uri=_DOCUMENT_URI)
    node = resolver.lookup(f"{_DOCUMENT_URI}#{pointer}").contents
    while isinstance(node, dict) and "$ref" in node:
        pointer = str(node["$ref"]).removeprefix("#")
        node = resolver.lookup(f"{_DOCUMENT_URI}#{pointer}").contents
    return pointer, node


@functools.cache
def _validator_at(pointer: str) -> Draft4Validator:
    return Draft4Validator({"$ref": f"{_DOCUMENT_URI}#{pointer}"}, registry=_registry())


def _schema_errors(instance: Any, schema_pointer: str) -> list[str]:
    errors = sorted(_validator_at(schema_pointer).iter_errors(instance), key=lambda error: list(error.path))
    return [f"at {'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}" for error in errors]


def _response_headers(response: dict[str, Any]) -> dict[str, str]:
    """Merge `headers` and `multiValueHeaders` (last value wins), keyed by lower-case name."""
    merged = {
        str(name).lower(): str(values[-1])
        for name, values in (response.get("multiValueHeaders") or {}).items()
    }
    merged.update({str(name).lower(): str(value) for name, value in (response.get("headers") or {}).items()})
    return merged


def _documented_response_key(responses: dict[str, Any], status_code: int) -> str | None:
    for key in (str(status_code), f"{status_code // 100}XX", "default"):
        if key in responses:
            return key
    return None


def _header_value_errors(name: str, value: str, schema_pointer: str, schema: dict[str, Any]) -> list[str]:
    # Header values are text on the wire; coerce before validating against a numeric schema.
    instance: Any = value
    if schema.get("type") == "integer":
        try:
            instance = int(value)
        except ValueError:
            return [f"header {name!r}: {value!r} is not an integer"]
    return [f"header {name!r} {message}" for message in _schema_errors(instance, schema_pointer)]


def assert_conforms_to_openapi(
    response: dict[str, Any], *, path: str = "/images/custom", method: str = "get"
) -> None:
    """Fail unless an API Gateway proxy response is one the OpenAPI document allows.

    Parameters
    ----------
    response:
        The proxy response dict (`statusCode`, `headers` and/or `multiValueHeaders`, `body`,
        optionally `isBase64Encoded`).
    path:
        The documented path the request was made to, e.g. "/v3/images/custom".
    method:
        The HTTP method, any case.

    Raises
    ------
    AssertionError
        Listing every way the response departs from the document: an undocumented status, a
        missing or wrong Content-Type, a missing or invalid documented header, a body that is
        not JSON or does not validate against the documented schema.
    """
    operation_pointer = _json_pointer("paths", path, method.lower())
    operation = load_openapi_document().get("paths", {}).get(path, {}).get(method.lower())
    if operation is None:
        raise AssertionError(f"{method.upper()} {path} is not an operation of the OpenAPI document")

    status_code = response.get("statusCode")
    if not isinstance(status_code, int):
        raise AssertionError(f"statusCode must be an int, got {status_code!r}")
    response_key = _documented_response_key(operation["responses"], status_code)
    if response_key is None:
        documented = sorted(operation["responses"])
        raise AssertionError(
            f"status {status_code} is not documented for {method.upper()} {path}: {documented}"
        )
    response_pointer, documented_response = _follow_refs(
        operation_pointer + _json_pointer("responses", response_key)
    )

    problems: list[str] = []
    headers = _response_headers(response)
    for header_name in documented_response.get("headers", {}):
        header_pointer, header = _follow_refs(response_pointer + _json_pointer("headers", header_name))
        value = headers.get(header_name.lower())
        if value is None:
            if header.get("required", False):
                problems.append(f"required header {header_name!r} is missing")
            continue
        schema_pointer, schema = _follow_refs(header_pointer + "/schema")
        problems.extend(_header_value_errors(header_name, value, schema_pointer, schema))

    content_type = headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != _JSON_MEDIA_TYPE:
        problems.append(f"Content-Type must be {_JSON_MEDIA_TYPE}, got {content_type!r}")

    body_text = response.get("body") or ""
    if response.get("isBase64Encoded"):
        body_text = base64.b64decode(body_text).decode("utf-8")
    try:
        body = json.loads(body_text)
    except (TypeError, ValueError) as error:
        problems.append(f"body is not JSON ({error}): {body_text!r:.200}")
    else:
        if _JSON_MEDIA_TYPE not in documented_response.get("content", {}):
            problems.append(f"status {status_code} documents no {_JSON_MEDIA_TYPE} body")
        else:
            schema_pointer = response_pointer + _json_pointer("content", _JSON_MEDIA_TYPE, "schema")
            problems.extend(f"body {message}" for message in _schema_errors(body, schema_pointer))

    if problems:
        details = "\n  ".join(problems)
        raise AssertionError(
            f"{method.upper()} {path} -> {status_code} does not conform to the OpenAPI document:\n  {details}"
        )
