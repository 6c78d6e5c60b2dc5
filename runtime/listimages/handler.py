"""API Gateway (REST v1 proxy, HTTP API v2, function URL) ⇄ ``list_images``: the only module that knows HTTP.

Lambda handler string: ``listimages.handler.handle``. Errors map to status codes in ``_error_response``
and nowhere else.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from .errors import (
    ConflictingParameterError,
    InvalidInputError,
    InvalidRequestBodyError,
    RepeatedParameterError,
    ThrottledError,
)
from .images import CAMEL_CASE, CallCounter, Deadline, read_images_page, validate_image_status
from .regions import resolve_region
from .sources import create_home_region_clients

logger = logging.getLogger(__name__)
# Lambda's native JSON logging sets the level from AWS_LAMBDA_LOG_LEVEL; anywhere else, log requests at INFO.
if not os.environ.get("AWS_LAMBDA_LOG_LEVEL"):
    logging.getLogger(__package__ or "listimages").setLevel(logging.INFO)

# Lambda's AWS_LAMBDA_INITIALIZATION_TYPE values for an init phase that runs ahead of any request.
AHEAD_OF_REQUESTS_INITIALIZATION_TYPES = frozenset({"provisioned-concurrency", "snap-start"})
ROUTES = frozenset({"/images/custom", "/v3/images/custom"})
PARAMETERS = ("imageStatus", "region", "nextToken")
# AWS throttling clears within seconds; the client's own retries have already waited about that long.
RETRY_AFTER_SECONDS = 2
_JSON_HEADERS = {"Content-Type": "application/json"}
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}", re.ASCII)
_LOGGED_VALUE_LIMIT = 64
_BODY_NOT_OBJECT = "Bad Request: the request body must be a JSON object"
_BODY_NOT_BASE64 = "Bad Request: the request body is not base64-encoded UTF-8"
# Built once: json.dumps with non-default arguments builds a new encoder on every call.
_encode_json = json.JSONEncoder(separators=(",", ":")).encode


class HttpRequest(NamedTuple):
    """What the handler needs from an API Gateway event, whichever its format."""

    method: str
    path: str
    query: Mapping[str, str]
    repeated: frozenset[str]  # query parameter names given more than once (their value in ``query`` is moot)
    body: Any
    body_is_base64: bool
    request_id: str | None


def _mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one: a malformed event part counts as absent."""
    # dict first: events are decoded JSON, and the isinstance check against the Mapping ABC is slower.
    return value if isinstance(value, (dict, Mapping)) else {}


_Query = tuple[dict[str, str], frozenset[str]]
"""A query string's parameters by name, and the names given more than once."""


def _query_of_pairs(pairs: Iterable[tuple[str, str]]) -> _Query:
    query: dict[str, str] = {}
    repeated: set[str] = set()
    for name, value in pairs:
        if name in query:
            repeated.add(name)
        query[name] = value
    return query, frozenset(repeated)


def _query_of_map(parameters: Any) -> _Query:
    """From a v1 multi-value map (name → values; a repeated name has several) or a single-value map."""
    query: dict[str, str] = {}
    repeated: set[str] = set()
    for name, given in _mapping(parameters).items():
        if isinstance(given, list):
            if len(given) > 1:
                repeated.add(name)
            if given and isinstance(given[-1], str):
                query[name] = given[-1]
        elif isinstance(given, str):
            query[name] = given
    return query, frozenset(repeated)


def _query_of(event: Mapping[str, Any], *, is_v2: bool) -> _Query:
    """The query parameters of an event, with the names given more than once.

    Names and values come out percent-decoded (API Gateway decodes the v1 maps; v2's raw query string is
    decoded here): ``image%53tatus`` is ``imageStatus``, as in SigV4's canonical query, so a name given twice
    in two spellings is found repeated.
    """
    if is_v2:
        # v2's queryStringParameters joins repeated values with commas, which a value may also hold; the raw
        # query string keeps them apart. (API Gateway and function URLs always send it; a hand-made event
        # may carry the map only.)
        raw_query = event.get("rawQueryString")
        if isinstance(raw_query, str):
            return _query_of_pairs(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
        return _query_of_map(event.get("queryStringParameters"))
    # v1 (REST API) fills both maps; the single-value one keeps only the last value of a repeated name.
    multi_value = event.get("multiValueQueryStringParameters")
    return _query_of_map(multi_value if multi_value else event.get("queryStringParameters"))


def _parse_event(event: Mapping[str, Any]) -> HttpRequest:
    context = _mapping(event.get("requestContext"))
    is_v2 = event.get("version") == "2.0"
    if is_v2:
        path = str(event.get("rawPath") or "")
        stage = context.get("stage")
        if isinstance(stage, str) and stage and stage != "$default" and path.startswith(f"/{stage}/"):
            path = path[len(stage) + 1 :]
        method = str(_mapping(context.get("http")).get("method") or "")
    else:
        path = str(event.get("resource") or event.get("path") or "")
        method = str(event.get("httpMethod") or "")
    query, repeated = _query_of(event, is_v2=is_v2)
    return HttpRequest(
        method=method.upper(),
        path=path,
        query=query,
        repeated=repeated,
        body=event.get("body"),
        body_is_base64=bool(event.get("isBase64Encoded")),
        request_id=context.get("requestId") if isinstance(context.get("requestId"), str) else None,
    )


def _body_text(request: HttpRequest) -> str | None:
    body = request.body
    if body is None:
        return None
    if not isinstance(body, str):
        raise InvalidRequestBodyError(_BODY_NOT_OBJECT)
    if request.body_is_base64:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise InvalidRequestBodyError(_BODY_NOT_BASE64) from None
    return body if body.strip() else None


class _JsonObject(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once (json keeps the last value)."""

    repeated: frozenset[str] = frozenset()


def _json_object(pairs: list[tuple[str, Any]]) -> _JsonObject:
    document = _JsonObject(pairs)
    if len(document) < len(pairs):  # the rare case: some key came twice
        document.repeated = _query_of_pairs(pairs)[1]
    return document


# Built once, like the encoder; json.loads with a hook would build a decoder per call.
_decode_json = json.JSONDecoder(object_pairs_hook=_json_object).decode


def _body_parameters(body: str | None) -> tuple[dict[str, str | None], dict[str, InvalidInputError]]:
    """The parameters of a JSON object body, and a failure for each one that is repeated or not a string."""
    if body is None:
        return {}, {}
    try:
        document = _decode_json(body)
    except (ValueError, RecursionError):
        raise InvalidRequestBodyError(_BODY_NOT_OBJECT) from None
    if not isinstance(document, _JsonObject):  # every JSON object is one, through the hook
        raise InvalidRequestBodyError(_BODY_NOT_OBJECT)
    parameters: dict[str, str | None] = {}
    failures: dict[str, InvalidInputError] = {}
    for name in PARAMETERS:
        value = document.get(name)
        if name in document.repeated:
            failures[name] = RepeatedParameterError(name)
        elif value is None or isinstance(value, str):
            parameters[name] = value
        else:
            failures[name] = InvalidRequestBodyError(
                f"Bad Request: '{name}' in the request body must be a string"
            )
    return parameters, failures


def _inputs(request: HttpRequest) -> dict[str, str | None]:
    """imageStatus, region and nextToken from the query string and the JSON body (each given once, and the
    same value when given in both)."""
    from_body, failures = _body_parameters(_body_text(request))
    inputs: dict[str, str | None] = {}
    for name in PARAMETERS:
        if name in request.repeated:
            failures[name] = RepeatedParameterError(name)
        in_query, in_body = request.query.get(name), from_body.get(name)
        if name != "imageStatus":  # an empty region or nextToken counts as absent
            in_query, in_body = in_query or None, in_body or None
        if in_query is not None and in_body is not None and in_query != in_body:
            failures.setdefault(name, ConflictingParameterError(name))
        inputs[name] = in_query if in_query is not None else in_body
    if failures:
        _raise_first_failure(inputs, failures)
    return inputs


def _raise_first_failure(inputs: Mapping[str, str | None], failures: Mapping[str, InvalidInputError]) -> None:
    """Contract §2's validation order (imageStatus, region, nextToken), where a failure of how a parameter was
    given (repeated, not a string in the body, or not the query's value) is that parameter's failure: a bad
    region in the body must not hide a missing imageStatus."""
    checks = {"imageStatus": validate_image_status, "region": resolve_region}
    # nextToken comes last and needs no check here: reaching it means its own failure is the one.
    for name in PARAMETERS:
        if name in failures:
            raise failures[name]
        checks[name](inputs[name])


def _response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**_JSON_HEADERS, **(headers or {})},
        "body": _encode_json(body),
        "isBase64Encoded": False,
    }


def _error_response(error: Exception, request_id: str) -> dict[str, Any]:
    """The one place where exceptions become HTTP answers."""
    if isinstance(error, InvalidInputError):
        return _response(400, {"message": error.message})
    if isinstance(error, ThrottledError):
        logger.warning(
            "AWS throttled the request", extra={"apiRequestId": request_id, "awsError": str(error)}
        )
        return _response(
            429,
            {"message": "Too Many Requests: AWS is throttling requests, retry later"},
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    # The detail (AWS text, ARNs, stack trace) goes to the log only.
    logger.error("Request failed", exc_info=error, extra={"apiRequestId": request_id})
    return _response(500, {"message": f"Internal server error (request id: {request_id})"})


def _deadline_of(context: Any) -> Deadline | None:
    remaining_millis = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining_millis):
        return None
    return lambda: float(remaining_millis()) / 1000.0


def _logged(value: str | None) -> str | None:
    return None if value is None else value[:_LOGGED_VALUE_LIMIT]


def _log_request(fields: Mapping[str, Any]) -> None:
    """The one INFO line per request; ``fields`` become attributes of the log record (``extra=``)."""
    if logger.isEnabledFor(logging.INFO):
        # Built directly: logger.info would walk the call stack for a source location that nothing uses
        # (Lambda's JSON format writes a location only for records with an exception).
        record = logger.makeRecord(
            logger.name, logging.INFO, __file__, 0, "listImages request", (), None, "handle", fields
        )
        logger.handle(record)


def handle(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Serve ``GET /images/custom`` and ``GET /v3/images/custom`` for an API Gateway v1 or v2 event.

    Parameters
    ----------
    event:
        The API Gateway REST proxy event (v1) or HTTP API / function URL event (version "2.0").
    context:
        The Lambda context; its remaining time bounds how long AWS pages are read.

    Returns
    -------
    dict
        An API Gateway proxy response with a JSON body: the camelCase page, or ``{"message": ...}``.
    """
    started = time.perf_counter()
    lambda_request_id = str(getattr(context, "aws_request_id", "") or "")
    request_id = lambda_request_id or "unknown"
    counter = CallCounter()
    inputs: dict[str, str | None] = {}
    count: int | None = None
    region: str | None = None
    try:
        request = _parse_event(_mapping(event))
        if request.request_id and _REQUEST_ID.fullmatch(request.request_id):
            request_id = request.request_id  # the id the caller can see and quote
        if request.path not in ROUTES:
            response = _response(404, {"message": "Not Found"})
        elif request.method != "GET":
            response = _response(405, {"message": "Method Not Allowed"}, {"Allow": "GET"})
        else:
            inputs = _inputs(request)
            region = inputs["region"]
            page = read_images_page(
                inputs["imageStatus"],
                inputs["region"],
                inputs["nextToken"],
                deadline=_deadline_of(context),
                counter=counter,
                keys=CAMEL_CASE,
            )
            region, count = page.region, len(page.images)
            body: dict[str, Any] = {"images": page.images}
            if page.next_token is not None:
                body["nextToken"] = page.next_token
            response = _response(200, body)
    except Exception as error:  # every failure must become an HTTP answer
        response = _error_response(error, request_id)
    _log_request(
        {
            "status": response["statusCode"],
            "imageStatus": _logged(inputs.get("imageStatus")),
            "region": _logged(region),
            "count": count,
            "awsCalls": counter.aws_calls,
            "durationMs": round((time.perf_counter() - started) * 1000, 1),
            # Lambda's JSON log format writes its own request id as "requestId" (and drops extra keys that
            # clash with its fields); this is the id quoted to the caller.
            "apiRequestId": request_id,
        }
    )
    return response


# Provisioned concurrency and SnapStart initialise the function before a request arrives: creating the clients
# then (no AWS call is made) spares the first request that work.
if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") in AHEAD_OF_REQUESTS_INITIALIZATION_TYPES:
    create_home_region_clients()
