"""handler.py: routes, v1 and v2 events, query string and JSON-body inputs, 400 messages, camelCase
answers, and the one structured log line per request."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from tests.openapi_contract import load_openapi_document
from tests.runtime.moto_seed import image_tags, seed_ami, seed_stack
from tests.runtime.support import FakeAws, ami, client_error, invoke, stack, stack_arn, v1_event, v2_event

EVENT_FACTORIES = [pytest.param(v1_event, id="v1"), pytest.param(v2_event, id="v2")]
PATHS = ["/images/custom", "/v3/images/custom"]
EventFactory = Callable[..., dict[str, Any]]


@pytest.mark.usefixtures("moto_aws")
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("make_event", EVENT_FACTORIES)
def test_both_paths_and_event_versions_answer_camel_case(make_event: EventFactory, path: str) -> None:
    # Given one finished image and one failed build
    ami_id = seed_ami("us-east-1", image_tags("custom-image", version="3.2.1"))
    arn = seed_stack("us-east-1", "failed-build", "ROLLBACK_COMPLETE", image_tags("failed-image"))

    # When both statuses are requested on the path
    available = invoke(make_event({"imageStatus": "AVAILABLE"}, path=path))
    failed = invoke(make_event({"imageStatus": "FAILED"}, path=path))

    # Then the answers are the contract's camelCase JSON
    assert (available.status, failed.status) == (200, 200)
    assert available.body == {
        "images": [
            {
                "imageId": "custom-image",
                "ec2AmiInfo": {"amiId": ami_id},
                "imageBuildStatus": "BUILD_COMPLETE",
                "region": "us-east-1",
                "version": "3.2.1",
            }
        ]
    }
    assert failed.body == {
        "images": [
            {
                "imageId": "failed-image",
                "imageBuildStatus": "BUILD_FAILED",
                "cloudformationStackStatus": "ROLLBACK_COMPLETE",
                "cloudformationStackArn": arn,
                "region": "us-east-1",
                "version": "3.9.0",
            }
        ]
    }


@pytest.mark.usefixtures("moto_aws")
@pytest.mark.parametrize("make_event", EVENT_FACTORIES)
@pytest.mark.parametrize("base64_body", [False, True])
def test_json_body_is_honoured(make_event: EventFactory, base64_body: bool) -> None:
    # Given an image in us-west-2 only
    ami_id = seed_ami("us-west-2", image_tags("west-image"))

    # When the inputs come as a JSON body on GET (as on the reference page)
    body = json.dumps({"imageStatus": "AVAILABLE", "region": "us-west-2"})
    answer = invoke(make_event(None, body=body, base64_body=base64_body))

    # Then they are used
    assert answer.status == 200
    assert [(i["ec2AmiInfo"]["amiId"], i["region"]) for i in answer.body["images"]] == [(ami_id, "us-west-2")]


@pytest.mark.usefixtures("moto_aws")
def test_region_query_parameter_selects_the_region() -> None:
    seed_ami("us-east-1", image_tags("east-image"))
    west = seed_ami("eu-west-1", image_tags("west-image"))

    answer = invoke(v1_event({"imageStatus": "AVAILABLE", "region": "eu-west-1"}))

    assert [i["ec2AmiInfo"]["amiId"] for i in answer.body["images"]] == [west]


@pytest.mark.usefixtures("moto_aws")
def test_v2_event_of_a_named_stage_is_routed() -> None:
    seed_stack("us-east-1", "pending-build", "CREATE_IN_PROGRESS", image_tags("pending-image"))

    answer = invoke(v2_event({"imageStatus": "PENDING"}, path="/v3/images/custom", stage="prod"))

    assert answer.status == 200
    assert [i["imageId"] for i in answer.body["images"]] == ["pending-image"]


@pytest.mark.parametrize("make_event", EVENT_FACTORIES)
@pytest.mark.parametrize(
    ("query", "body"),
    [
        ({"imageStatus": "AVAILABLE"}, {"imageStatus": "PENDING"}),
        ({"imageStatus": "AVAILABLE", "region": "us-east-1"}, {"region": "eu-west-1"}),
        ({"imageStatus": "AVAILABLE", "nextToken": "a"}, {"nextToken": "b"}),
    ],
)
def test_query_and_body_disagreeing_is_a_400(
    fake_aws: FakeAws, make_event: EventFactory, query: dict[str, str], body: dict[str, str]
) -> None:
    # When a parameter has different values in the query string and the body
    answer = invoke(make_event(query, body=json.dumps(body)))

    # Then it is a 400 naming the parameter, and AWS is not called
    (name,) = body
    assert answer.status == 400
    assert answer.body == {
        "message": f"Bad Request: '{name}' has different values in the query string and the body"
    }
    assert fake_aws.calls == []


@pytest.mark.parametrize(
    ("query", "body", "message"),
    [
        # a conflicting region does not hide a missing or invalid imageStatus
        (
            {"region": "us-east-1"},
            {"region": "eu-west-1"},
            "Bad Request: Missing query parameter 'imageStatus'",
        ),
        (
            {"imageStatus": "available", "region": "us-east-1"},
            {"region": "eu-west-1"},
            "Bad Request: 'available' is not one of ['AVAILABLE', 'PENDING', 'FAILED']",
        ),
        # a conflicting nextToken does not hide an invalid region
        (
            {"imageStatus": "FAILED", "region": "mars-north-1", "nextToken": "a"},
            {"nextToken": "b"},
            "Bad Request: invalid or unsupported region 'mars-north-1'",
        ),
        # and a conflict is reported at its parameter's turn
        (
            {"imageStatus": "FAILED", "region": "us-east-1"},
            {"region": "eu-west-1", "nextToken": "b"},
            "Bad Request: 'region' has different values in the query string and the body",
        ),
        # a body value that is not a string fails at its parameter's turn too
        (
            {"imageStatus": "BAD"},
            {"nextToken": 5},
            "Bad Request: 'BAD' is not one of ['AVAILABLE', 'PENDING', 'FAILED']",
        ),
        (
            {},
            {"imageStatus": "AVAILABLE", "nextToken": 5, "region": "bogus"},
            "Bad Request: invalid or unsupported region 'bogus'",
        ),
        ({}, {"region": 5}, "Bad Request: Missing query parameter 'imageStatus'"),
        (
            {"imageStatus": "PENDING"},
            {"region": 5, "nextToken": 6},
            "Bad Request: 'region' in the request body must be a string",
        ),
    ],
)
def test_a_bad_body_value_keeps_the_contract_validation_order(
    fake_aws: FakeAws, query: dict[str, str], body: dict[str, Any], message: str
) -> None:
    # When a request both has a bad body value (conflicting, or not a string) and fails an earlier parameter
    answer = invoke(v1_event(query, body=json.dumps(body)))

    # Then the first failure in the order imageStatus, region, nextToken wins, and AWS is not called
    assert (answer.status, answer.body) == (400, {"message": message})
    assert fake_aws.calls == []


def test_query_and_body_agreeing_is_fine(fake_aws: FakeAws) -> None:
    fake_aws.amis = [ami("ami-0123456789abcdef0", "agreed-image")]

    answer = invoke(v1_event({"imageStatus": "AVAILABLE"}, body='{"imageStatus": "AVAILABLE", "other": 1}'))

    assert answer.status == 200
    assert [i["imageId"] for i in answer.body["images"]] == ["agreed-image"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[]", "Bad Request: the request body must be a JSON object"),
        ('"AVAILABLE"', "Bad Request: the request body must be a JSON object"),
        ("null", "Bad Request: the request body must be a JSON object"),
        ("imageStatus=AVAILABLE", "Bad Request: the request body must be a JSON object"),
        ("[" * 100_000, "Bad Request: the request body must be a JSON object"),
        ('{"imageStatus": 1}', "Bad Request: 'imageStatus' in the request body must be a string"),
        (
            '{"imageStatus": "AVAILABLE", "region": ["us-east-1"]}',
            "Bad Request: 'region' in the request body must be a string",
        ),
    ],
)
def test_bad_bodies_are_400(fake_aws: FakeAws, body: str, message: str) -> None:
    answer = invoke(v1_event({"imageStatus": "AVAILABLE"}, body=body))

    assert (answer.status, answer.body) == (400, {"message": message})
    assert fake_aws.calls == []


def test_bad_base64_body_is_400(fake_aws: FakeAws) -> None:
    event = v1_event({"imageStatus": "AVAILABLE"}, body="{}")
    event.update(body="%%%not-base64", isBase64Encoded=True)

    answer = invoke(event)

    assert answer.body == {"message": "Bad Request: the request body is not base64-encoded UTF-8"}


@pytest.mark.usefixtures("fake_aws")
@pytest.mark.parametrize("make_event", EVENT_FACTORIES)
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "Bad Request: Missing query parameter 'imageStatus'"),
        ({"region": "us-east-1"}, "Bad Request: Missing query parameter 'imageStatus'"),
        ({"imageStatus": ""}, "Bad Request: '' is not one of ['AVAILABLE', 'PENDING', 'FAILED']"),
        (
            {"imageStatus": "available"},
            "Bad Request: 'available' is not one of ['AVAILABLE', 'PENDING', 'FAILED']",
        ),
        (
            {"imageStatus": "AVAILABLE", "region": "mars-1"},
            "Bad Request: invalid or unsupported region 'mars-1'",
        ),
        (
            {"imageStatus": "AVAILABLE", "region": "cn-north-1"},
            "Bad Request: invalid or unsupported region 'cn-north-1'",
        ),
        ({"imageStatus": "AVAILABLE", "nextToken": "garbage"}, "Bad Request: invalid nextToken"),
        # Validation order: imageStatus, then region, then nextToken.
        (
            {"imageStatus": "X", "region": "bad", "nextToken": "bad"},
            "Bad Request: 'X' is not one of ['AVAILABLE', 'PENDING', 'FAILED']",
        ),
        (
            {"imageStatus": "FAILED", "region": "bad", "nextToken": "bad"},
            "Bad Request: invalid or unsupported region 'bad'",
        ),
    ],
)
def test_bad_inputs_are_400_with_the_contract_message(
    make_event: EventFactory, query: dict[str, str], message: str
) -> None:
    answer = invoke(make_event(query))

    assert (answer.status, answer.body) == (400, {"message": message})


def test_allow_list_limits_regions(fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIST_IMAGES_ALLOWED_REGIONS", "us-east-1,eu-west-1")

    refused = invoke(v1_event({"imageStatus": "AVAILABLE", "region": "us-west-2"}))
    allowed = invoke(v1_event({"imageStatus": "AVAILABLE", "region": "eu-west-1"}))

    assert (refused.status, refused.body) == (
        400,
        {"message": "Bad Request: invalid or unsupported region 'us-west-2'"},
    )
    assert allowed.status == 200
    assert [region for _, region, _ in fake_aws.calls] == ["eu-west-1"]


def test_empty_region_and_token_count_as_absent(fake_aws: FakeAws) -> None:
    fake_aws.stacks = [stack("build", "CREATE_IN_PROGRESS", "pending-image")]

    answer = invoke(v1_event({"imageStatus": "PENDING", "region": "", "nextToken": "", "unknown": "x"}))

    assert answer.status == 200
    assert [(i["imageId"], i["region"]) for i in answer.body["images"]] == [("pending-image", "us-east-1")]


# --- repeated parameters (contract §2): SigV4 lets a captured request's repeated values be reordered -------


@pytest.mark.parametrize("make_event", EVENT_FACTORIES)
@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"imageStatus": ["PENDING", "AVAILABLE"]}, "imageStatus"),
        ({"imageStatus": ["AVAILABLE", "PENDING"]}, "imageStatus"),
        ({"imageStatus": ["AVAILABLE", "AVAILABLE"]}, "imageStatus"),
        ({"imageStatus": "AVAILABLE", "region": ["us-east-1", "eu-west-1"]}, "region"),
        ({"imageStatus": "AVAILABLE", "region": ["", "eu-west-1"]}, "region"),
        ({"imageStatus": "PENDING", "nextToken": ["a", "b"]}, "nextToken"),
        ({"imageStatus": "PENDING", "nextToken": ["", ""]}, "nextToken"),
    ],
)
def test_a_repeated_parameter_is_a_400(
    fake_aws: FakeAws, make_event: EventFactory, query: dict[str, Any], name: str
) -> None:
    # Given a parameter given twice in the query string (in either order, even with the same value twice)
    fake_aws.amis = [ami("ami-0123456789abcdef0", "listed-image")]

    # When the request is served
    answer = invoke(make_event(query))

    # Then it is the contract's 400 naming the parameter, and AWS is not called
    assert (answer.status, answer.body) == (
        400,
        {"message": f"Bad Request: repeated query parameter '{name}'"},
    )
    assert fake_aws.calls == []


@pytest.mark.parametrize(
    ("raw_query", "name"),
    [
        ("imageStatus=AVAILABLE&image%53tatus=PENDING", "imageStatus"),
        ("image%53tatus=PENDING&imageStatus=AVAILABLE", "imageStatus"),
        ("imageStatus=FAILED&region=us-east-1&%72egion=eu-west-1", "region"),
        ("imageStatus=FAILED&next%54oken=a&nextToken=", "nextToken"),
    ],
)
def test_a_parameter_repeated_under_a_percent_encoded_name_is_a_400(
    fake_aws: FakeAws, raw_query: str, name: str
) -> None:
    # When a name is given twice, once percent-encoded (SigV4's canonical query decodes it: the same name).
    # (v2 carries the raw query string; in v1 events API Gateway has decoded the names into one list.)
    answer = invoke(v2_event(raw_query))

    # Then it is repeated
    assert (answer.status, answer.body) == (
        400,
        {"message": f"Bad Request: repeated query parameter '{name}'"},
    )
    assert fake_aws.calls == []


def test_a_percent_encoded_name_alone_is_that_parameter(fake_aws: FakeAws) -> None:
    fake_aws.stacks = [stack("build", "CREATE_FAILED", "failed-image")]

    answer = invoke(v2_event("image%53tatus=FAILED"))

    assert (answer.status, [i["imageId"] for i in answer.body["images"]]) == (200, ["failed-image"])


@pytest.mark.parametrize("make_event", EVENT_FACTORIES)
def test_a_repeated_unknown_parameter_is_ignored(fake_aws: FakeAws, make_event: EventFactory) -> None:
    fake_aws.amis = [ami("ami-0123456789abcdef0", "listed-image")]

    answer = invoke(make_event({"imageStatus": "AVAILABLE", "other": ["1", "2"], "Region": ["a", "b"]}))

    assert (answer.status, [i["imageId"] for i in answer.body["images"]]) == (200, ["listed-image"])


@pytest.mark.parametrize("make_event", EVENT_FACTORIES)
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"region": ["us-east-1", "eu-west-1"]}, "Bad Request: Missing query parameter 'imageStatus'"),
        (
            {"imageStatus": "BAD", "region": ["us-east-1", "eu-west-1"], "nextToken": ["a", "b"]},
            "Bad Request: 'BAD' is not one of ['AVAILABLE', 'PENDING', 'FAILED']",
        ),
        (
            {"imageStatus": "FAILED", "region": "mars-1", "nextToken": ["a", "b"]},
            "Bad Request: invalid or unsupported region 'mars-1'",
        ),
        (
            {"imageStatus": ["FAILED", "FAILED"], "region": "mars-1"},
            "Bad Request: repeated query parameter 'imageStatus'",
        ),
        (
            {"imageStatus": "FAILED", "region": ["us-east-1", "us-east-1"], "nextToken": "bad"},
            "Bad Request: repeated query parameter 'region'",
        ),
    ],
)
def test_a_repeated_parameter_fails_at_its_turn_in_the_validation_order(
    fake_aws: FakeAws, make_event: EventFactory, query: dict[str, Any], message: str
) -> None:
    answer = invoke(make_event(query))

    assert (answer.status, answer.body) == (400, {"message": message})
    assert fake_aws.calls == []


@pytest.mark.parametrize(
    ("query", "body", "message"),
    [
        (
            {},
            '{"imageStatus": "PENDING", "imageStatus": "AVAILABLE"}',
            "Bad Request: repeated query parameter 'imageStatus'",
        ),
        (
            {"imageStatus": "AVAILABLE"},
            '{"region": "us-east-1", "region": "us-east-1"}',
            "Bad Request: repeated query parameter 'region'",
        ),
        (
            {"imageStatus": "AVAILABLE"},
            '{"nextToken": 5, "nextToken": "a"}',
            "Bad Request: repeated query parameter 'nextToken'",
        ),
        # a repeat in the body keeps the validation order too
        (
            {},
            '{"region": "us-east-1", "region": "eu-west-1"}',
            "Bad Request: Missing query parameter 'imageStatus'",
        ),
    ],
)
@pytest.mark.parametrize("make_event", EVENT_FACTORIES)
def test_a_duplicate_key_in_the_json_body_is_a_repeated_parameter(
    fake_aws: FakeAws, make_event: EventFactory, query: dict[str, str], body: str, message: str
) -> None:
    answer = invoke(make_event(query, body=body))

    assert (answer.status, answer.body) == (400, {"message": message})
    assert fake_aws.calls == []


@pytest.mark.parametrize(
    "body",
    [
        '{"imageStatus": "AVAILABLE", "other": 1, "other": 2}',
        '{"imageStatus": "AVAILABLE", "other": {"region": "a", "region": "b"}}',
        '{"imageStatus": "AVAILABLE", "other": [{"imageStatus": "A", "imageStatus": "B"}]}',
    ],
)
def test_duplicate_keys_elsewhere_in_the_body_are_ignored(fake_aws: FakeAws, body: str) -> None:
    fake_aws.amis = [ami("ami-0123456789abcdef0", "listed-image")]

    answer = invoke(v1_event({"imageStatus": "AVAILABLE"}, body=body))

    assert (answer.status, [i["imageId"] for i in answer.body["images"]]) == (200, ["listed-image"])


def test_a_v1_event_with_the_single_value_map_only_is_read(fake_aws: FakeAws) -> None:
    # Given a hand-made v1 event (API Gateway always fills both maps; test tools may not)
    fake_aws.stacks = [stack("build", "CREATE_FAILED", "failed-image")]
    event = v1_event({"imageStatus": "FAILED"})
    event["multiValueQueryStringParameters"] = None

    # When it is served, Then its queryStringParameters are read
    answer = invoke(event)

    assert (answer.status, [i["imageId"] for i in answer.body["images"]]) == (200, ["failed-image"])


def test_v2_raw_query_is_url_decoded(fake_aws: FakeAws) -> None:
    fake_aws.stacks = [stack("build", "CREATE_FAILED", "failed-image", region="eu-west-1")]

    answer = invoke(v2_event("imageStatus=FAILED&region=eu%2Dwest%2D1"))

    assert [i["region"] for i in answer.body["images"]] == ["eu-west-1"]


def test_a_v2_event_without_its_raw_query_string_uses_the_parameter_map(fake_aws: FakeAws) -> None:
    # Given a hand-made v2 event (API Gateway always sends rawQueryString; test tools may not)
    fake_aws.stacks = [stack("build", "CREATE_FAILED", "failed-image", region="eu-west-1")]
    event = v2_event({"imageStatus": "FAILED", "region": "eu-west-1"})
    del event["rawQueryString"]

    # When it is served, Then its queryStringParameters are read
    answer = invoke(event)

    assert (answer.status, [i["imageId"] for i in answer.body["images"]]) == (200, ["failed-image"])


@pytest.mark.parametrize("make_event", EVENT_FACTORIES)
@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/images", "GET", 404),
        ("/images/custom/", "GET", 404),
        ("/v2/images/custom", "GET", 404),
        ("/images/custom", "POST", 405),
        ("/v3/images/custom", "DELETE", 405),
    ],
)
def test_other_routes_get_a_clean_json_answer(
    fake_aws: FakeAws, make_event: EventFactory, path: str, method: str, status: int
) -> None:
    answer = invoke(make_event({"imageStatus": "AVAILABLE"}, path=path, method=method))

    assert answer.status == status
    assert fake_aws.calls == []


@pytest.mark.parametrize("event", [{}, {"version": "2.0"}, {"httpMethod": None, "requestContext": None}])
def test_a_shapeless_event_is_a_404_not_an_exception(fake_aws: FakeAws, event: dict[str, Any]) -> None:
    assert invoke(event).status == 404


def test_one_structured_log_line_per_request_without_the_body(
    fake_aws: FakeAws, caplog: pytest.LogCaptureFixture
) -> None:
    # Given two builds
    fake_aws.stacks = [
        stack("one", "CREATE_IN_PROGRESS", "secret-image-one"),
        stack("two", "CREATE_IN_PROGRESS", "secret-image-two"),
    ]

    # When a request is served
    with caplog.at_level(logging.INFO, logger="listimages"):
        answer = invoke(v1_event({"imageStatus": "PENDING"}, request_id="req-42"))

    # Then exactly one INFO line describes it, with structured fields and nothing of the body
    assert answer.status == 200
    (line,) = [r for r in caplog.records if r.getMessage() == "listImages request"]
    fields = {name: getattr(line, name) for name in ("status", "imageStatus", "region", "count", "awsCalls")}
    assert fields == {
        "status": 200,
        "imageStatus": "PENDING",
        "region": "us-east-1",
        "count": 2,
        "awsCalls": 1,
    }
    assert vars(line)["apiRequestId"] == "req-42"
    assert isinstance(vars(line)["durationMs"], float)
    assert "secret-image" not in caplog.text
    assert stack_arn("one") not in caplog.text


def test_error_requests_are_logged_too(fake_aws: FakeAws, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="listimages"):
        invoke(v1_event({"imageStatus": "NOPE"}))

    (line,) = [r for r in caplog.records if r.getMessage() == "listImages request"]
    fields = vars(line)
    assert (fields["status"], fields["imageStatus"], fields["awsCalls"], fields["count"]) == (
        400,
        "NOPE",
        0,
        None,
    )


def test_routing_comes_before_reading_the_body(fake_aws: FakeAws) -> None:
    # Given a request to an unknown path with an undecodable body
    event = v1_event({"imageStatus": "AVAILABLE"}, path="/other", body="{}")
    event.update(body="%%%", isBase64Encoded=True)

    # Then the answer is about the route, not the body
    assert invoke(event).status == 404


# The keys Lambda's native JSON log format writes itself; an `extra=` key with one of these names is dropped.
LAMBDA_JSON_LOG_KEYS = {
    "timestamp",
    "level",
    "message",
    "logger",
    "stackTrace",
    "errorType",
    "errorMessage",
    "requestId",
    "location",
    "tenantId",
}


def test_structured_log_fields_survive_lambdas_json_format(
    fake_aws: FakeAws, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a request that logs a line per request and an error with its detail
    fake_aws.failures["DescribeImages"] = client_error("AccessDenied", "DescribeImages", status=403)
    # (what a LogRecord always has, and what formatters add to it)
    standard = set(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {
        "message",
        "asctime",
    }

    # When it is served
    with caplog.at_level(logging.INFO, logger="listimages"):
        invoke(v1_event({"imageStatus": "AVAILABLE"}))

    # Then every field we add through extra= has a name Lambda's JSON format keeps, and is JSON-serializable
    extras = {
        key: value for record in caplog.records for key, value in vars(record).items() if key not in standard
    }
    expected = {"status", "imageStatus", "region", "count", "awsCalls", "durationMs", "apiRequestId"}
    assert expected <= set(extras)
    assert set(extras).isdisjoint(LAMBDA_JSON_LOG_KEYS)
    json.dumps(extras)


# The request behind each 400 example of the OpenAPI document.
DOCUMENTED_400_REQUESTS: dict[str, dict[str, Any]] = {
    "missingImageStatus": {},
    "invalidImageStatus": {"imageStatus": "available"},
    "invalidRegion": {"imageStatus": "AVAILABLE", "region": "mars-1"},
    "repeatedParameter": {"imageStatus": ["PENDING", "FAILED"]},
    "invalidNextToken": {"imageStatus": "PENDING", "nextToken": "garbage"},
}


@pytest.mark.parametrize("make_event", EVENT_FACTORIES)
def test_the_documented_400_examples_are_what_the_handler_answers(
    fake_aws: FakeAws, make_event: EventFactory
) -> None:
    # Given the OpenAPI document's 400 examples
    bad_request = load_openapi_document()["components"]["responses"]["BadRequest"]
    examples = bad_request["content"]["application/json"]["examples"]
    assert set(examples) == set(DOCUMENTED_400_REQUESTS)

    # When the request behind each one is served, Then the answer is the example, word for word
    for name, query in DOCUMENTED_400_REQUESTS.items():
        answer = invoke(make_event(query))
        assert (answer.status, answer.body) == (400, examples[name]["value"]), name
