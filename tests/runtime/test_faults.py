"""Faults (contract §6, §7): throttling → 429 with Retry-After, AWS refusals and failures → 500 without
AWS text, Regions that are not enabled or unreachable → 400, and the time budget → a partial page with
a token whose walk still returns everything exactly once."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from botocore.exceptions import InvalidRegionError as BotocoreInvalidRegionError
from botocore.retries.standard import ExponentialBackoff, RetryContext
from listimages.images import CALL_RESERVE_SECONDS, list_images
from listimages.sources import (
    CONNECT_TIMEOUT_SECONDS,
    MAX_ATTEMPTS,
    READ_TIMEOUT_SECONDS,
    REGION_NOT_ENABLED_CODES,
    THROTTLING_CODES,
    WORST_CASE_CALL_SECONDS,
)

from tests.runtime.support import (
    ACCOUNT_ID,
    FakeAws,
    FakeClock,
    FakeLambdaContext,
    ami,
    client_error,
    ids_of,
    invoke,
    stack,
    v1_event,
    walk,
)

OPERATIONS = [("AVAILABLE", "DescribeImages"), ("FAILED", "DescribeStacks")]
SECRET_DETAIL = f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/ListImagesRole/fn is not authorized"


@pytest.mark.parametrize("code", sorted(THROTTLING_CODES))
@pytest.mark.parametrize(("image_status", "operation"), OPERATIONS)
def test_every_throttling_code_is_a_429_with_retry_after(
    fake_aws: FakeAws, code: str, image_status: str, operation: str
) -> None:
    # Given AWS throttling beyond the client's retries
    fake_aws.failures[operation] = client_error(code, operation, message=SECRET_DETAIL)

    # When a request is served
    answer = invoke(v1_event({"imageStatus": image_status}))

    # Then it is a 429 with a positive Retry-After, and no AWS text
    assert answer.status == 429
    assert int(answer.headers["Retry-After"]) > 0
    assert ACCOUNT_ID not in answer.raw["body"]


def test_an_http_429_with_an_unknown_code_is_a_429(fake_aws: FakeAws) -> None:
    fake_aws.failures["DescribeStacks"] = client_error("SomethingNew", "DescribeStacks", status=429)

    assert invoke(v1_event({"imageStatus": "PENDING"})).status == 429


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("AccessDenied", 403),
        ("AccessDeniedException", 403),
        ("UnauthorizedOperation", 403),
        ("InternalError", 500),
        ("InternalFailure", 500),
        ("ServiceUnavailable", 503),
        ("Unavailable", 503),
    ],
)
@pytest.mark.parametrize(("image_status", "operation"), OPERATIONS)
def test_aws_refusals_and_failures_are_a_generic_500(
    fake_aws: FakeAws,
    caplog: pytest.LogCaptureFixture,
    code: str,
    status: int,
    image_status: str,
    operation: str,
) -> None:
    # Given AWS refusing or failing with a message full of account detail
    fake_aws.failures[operation] = client_error(code, operation, status=status, message=SECRET_DETAIL)

    # When a request is served
    with caplog.at_level(logging.ERROR, logger="listimages"):
        answer = invoke(v1_event({"imageStatus": image_status}, request_id="req-500"))

    # Then the caller gets a generic 500 with the request id; the detail is in the log only
    assert (answer.status, answer.body) == (500, {"message": "Internal server error (request id: req-500)"})
    assert SECRET_DETAIL in caplog.text
    assert code in caplog.text


def test_the_lambda_request_id_is_used_when_the_event_has_none(fake_aws: FakeAws) -> None:
    fake_aws.failures["DescribeImages"] = client_error("AccessDenied", "DescribeImages", status=403)
    event = v1_event({"imageStatus": "AVAILABLE"}, request_id="not a valid id; <script>")

    answer = invoke(event, FakeLambdaContext(aws_request_id="lambda-7"))

    assert answer.body == {"message": "Internal server error (request id: lambda-7)"}


@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(endpoint_url="https://ec2.us-east-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://ec2.us-east-1.amazonaws.com"),
        EndpointConnectionError(endpoint_url="https://ec2.us-east-1.amazonaws.com"),
        RuntimeError("a bug"),
    ],
)
def test_transport_failures_and_bugs_in_the_home_region_are_a_500(
    fake_aws: FakeAws, error: Exception
) -> None:
    fake_aws.failures["DescribeImages"] = error

    answer = invoke(v1_event({"imageStatus": "AVAILABLE"}))

    assert answer.status == 500
    assert "amazonaws" not in answer.raw["body"]


@pytest.mark.parametrize("code", sorted(REGION_NOT_ENABLED_CODES))
@pytest.mark.parametrize(("image_status", "operation"), OPERATIONS)
def test_a_region_not_enabled_for_the_account_is_a_400_that_says_so(
    fake_aws: FakeAws, code: str, image_status: str, operation: str
) -> None:
    # Given an opt-in Region where the account's credentials are unknown
    fake_aws.failures[operation] = client_error(code, operation, status=401, message=SECRET_DETAIL)

    # When it is requested
    answer = invoke(v1_event({"imageStatus": image_status, "region": "me-central-1"}))

    # Then the caller learns that the Region is not enabled
    assert (answer.status, answer.body) == (
        400,
        {"message": "Bad Request: region 'me-central-1' is not enabled for this account"},
    )


@pytest.mark.parametrize("code", sorted(REGION_NOT_ENABLED_CODES))
def test_an_auth_failure_in_the_home_region_is_a_500(fake_aws: FakeAws, code: str) -> None:
    # The home Region is always enabled: an auth failure there is our fault, not the caller's
    fake_aws.failures["DescribeStacks"] = client_error(code, "DescribeStacks", status=401)

    assert invoke(v1_event({"imageStatus": "PENDING", "region": "us-east-1"})).status == 500


def test_an_unreachable_region_is_a_400_that_says_so(fake_aws: FakeAws) -> None:
    fake_aws.failures["DescribeImages"] = EndpointConnectionError(
        endpoint_url="https://ec2.eu-north-9.amazonaws.com"
    )

    answer = invoke(v1_event({"imageStatus": "AVAILABLE", "region": "eu-north-9"}))

    assert (answer.status, answer.body) == (
        400,
        {"message": "Bad Request: region 'eu-north-9' is unreachable"},
    )


def test_a_connect_timeout_in_another_region_is_a_400_that_says_so(fake_aws: FakeAws) -> None:
    # botocore's ConnectTimeoutError is no EndpointConnectionError, yet it means the same to the caller
    fake_aws.failures["DescribeImages"] = ConnectTimeoutError(
        endpoint_url="https://ec2.eu-west-1.amazonaws.com"
    )

    answer = invoke(v1_event({"imageStatus": "AVAILABLE", "region": "eu-west-1"}))

    assert answer.status == 400
    assert answer.body == {"message": "Bad Request: region 'eu-west-1' is unreachable"}


def test_a_read_timeout_in_another_region_is_a_500(fake_aws: FakeAws) -> None:
    # The endpoint was reached and answered too slowly: not the caller's Region choice at fault
    fake_aws.failures["DescribeImages"] = ReadTimeoutError(endpoint_url="https://ec2.eu-west-1.amazonaws.com")

    assert invoke(v1_event({"imageStatus": "AVAILABLE", "region": "eu-west-1"})).status == 500


def test_a_region_botocore_refuses_is_a_400_not_a_500(fake_aws: FakeAws) -> None:
    # Should a name ever pass our check and not botocore's, the caller still gets the invalid-region 400
    fake_aws.failures["DescribeStacks"] = BotocoreInvalidRegionError(region_name="eu-west-1")

    answer = invoke(v1_event({"imageStatus": "FAILED", "region": "eu-west-1"}))

    assert (answer.status, answer.body) == (
        400,
        {"message": "Bad Request: invalid or unsupported region 'eu-west-1'"},
    )


class _AlwaysThrottling:
    @staticmethod
    def is_throttling_error_from_context(context: object) -> bool:
        return True


def test_the_reserve_covers_the_worst_case_of_one_aws_call_with_botocores_own_backoff() -> None:
    # Given botocore's own standard-mode backoff at its longest: full jitter, throttling scale, and an
    # x-amz-retry-after header asking for far more than botocore honours
    backoff = ExponentialBackoff(random=lambda: 1.0, throttling_detector=_AlwaysThrottling())
    asking_for_an_hour = AWSResponse("https://ec2", 503, {"x-amz-retry-after": "3600000"}, None)
    sleeps = [
        backoff.delay_amount(RetryContext(attempt_number=attempt, http_response=asking_for_an_hour))
        for attempt in range(1, MAX_ATTEMPTS)  # a sleep before each retry
    ]

    # When every attempt also waits its full connect and read timeouts
    worst_case = MAX_ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS) + sum(sleeps)

    # Then one call's worst case is what the runtime assumes, and the reserve exceeds it
    assert worst_case <= WORST_CASE_CALL_SECONDS
    assert CALL_RESERVE_SECONDS > WORST_CASE_CALL_SECONDS


@pytest.mark.parametrize("seconds_per_call", [5.0, float(WORST_CASE_CALL_SECONDS)])
def test_slow_aws_gives_partial_pages_with_tokens_and_the_walk_completes_exactly_once(
    fake_aws: FakeAws, seconds_per_call: float
) -> None:
    # Given a slow AWS (every call takes seconds) and builds spread over many AWS pages
    fake_aws.stacks = [stack(f"build-{n}", "CREATE_IN_PROGRESS", f"image-{n}") for n in range(12)]
    fake_aws.stack_page_size = 2
    fake_aws.seconds_per_call = seconds_per_call
    contexts: list[FakeLambdaContext] = []

    def page(token: str | None) -> dict[str, Any]:
        # Each request runs in its own invocation with a 25 s budget
        context = FakeLambdaContext(timeout_seconds=25.0, clock=FakeClock())
        fake_aws.clock = context.clock
        contexts.append(context)
        answer = invoke(v1_event({"imageStatus": "PENDING", "nextToken": token or ""}), context)
        assert answer.status == 200
        return dict(answer.body)

    # When every token is followed
    pages = walk(page)

    # Then each invocation read as many AWS pages as its budget allowed (calls start while at least the
    # reserve is left), every one ended with time left to answer, and the walk returned each build once
    per_page = fake_aws.stack_page_size * (1 + int((25.0 - CALL_RESERVE_SECONDS) // seconds_per_call))
    assert [len(p["images"]) for p in pages] == [per_page] * (12 // per_page)
    assert all(context.get_remaining_time_in_millis() >= 1000 for context in contexts)
    assert ids_of(pages) == [s["StackId"] for s in fake_aws.stacks]


def test_no_time_left_answers_an_empty_page_with_a_token_that_resumes_at_the_start(fake_aws: FakeAws) -> None:
    # Given an invocation that has less time left than one AWS call may take
    fake_aws.amis = [ami("ami-00000000000000001", "only-image")]
    late = FakeLambdaContext(timeout_seconds=CALL_RESERVE_SECONDS - 0.5)

    # When a request is served
    answer = invoke(v1_event({"imageStatus": "AVAILABLE"}), late)

    # Then AWS is not called, the page is empty, and its token resumes at the start
    assert fake_aws.calls == []
    assert answer.body["images"] == []
    resumed = list_images("AVAILABLE", next_token=answer.body["nextToken"])
    assert [i["image_id"] for i in resumed["images"]] == ["only-image"]


def test_library_call_without_deadline_reads_to_the_end(fake_aws: FakeAws) -> None:
    fake_aws.stacks = [stack(f"build-{n}", "CREATE_FAILED", f"image-{n}") for n in range(30)]
    fake_aws.stack_page_size = 1
    fake_aws.clock, fake_aws.seconds_per_call = FakeClock(), 60.0

    result = list_images("FAILED")

    assert len(result["images"]) == 30
    assert "next_token" not in result
