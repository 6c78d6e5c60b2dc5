"""Every error over real HTTP: the function's 400/429/500 and the gateway's 403s, as API Gateway answers."""

from __future__ import annotations

import json
import re

import pytest
from listimages.tokens import Cursor, encode_token

from local import LocalEndpoint
from local.sigv4 import LocalCredentials, sign
from tests.e2e.support import ACCESS_DENIED_REGION, ROUTES, THROTTLED_REGION, Answer, http_get, signed_get

_INVALID_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


# --- 400: bad input (the function's answers) ---


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "Bad Request: Missing query parameter 'imageStatus'"),
        (
            {"imageStatus": "available"},
            "Bad Request: 'available' is not one of ['AVAILABLE', 'PENDING', 'FAILED']",
        ),
        (
            {"imageStatus": "AVAILABLE", "region": "mars-north-1"},
            "Bad Request: invalid or unsupported region 'mars-north-1'",
        ),
    ],
)
def test_bad_input_is_a_400_with_the_contract_message(
    local_endpoint: LocalEndpoint, path: str, query: dict[str, str], message: str
) -> None:
    # given/when: a signed request with a bad input
    answer = signed_get(local_endpoint, path, **query)

    # then: 400 with the contract's message
    assert (answer.status, answer.body) == (400, {"message": message})


@pytest.mark.parametrize("token", ["not-a-token", "eyJ2IjoxfQ"])
def test_a_malformed_next_token_is_a_400(local_endpoint: LocalEndpoint, token: str) -> None:
    # given/when: a token no response ever gave out
    answer = signed_get(local_endpoint, "/images/custom", imageStatus="PENDING", nextToken=token)

    # then: 400 saying the token is invalid
    assert answer.status == 400
    assert "token" in answer.body["message"].lower()


def test_a_next_token_from_another_listing_is_a_400(local_endpoint: LocalEndpoint) -> None:
    # given: a real token from the FAILED listing
    token = signed_get(local_endpoint, "/images/custom", imageStatus="FAILED", region="us-east-1").body[
        "nextToken"
    ]

    # when: it is replayed on the PENDING listing and on another Region
    other_status = signed_get(
        local_endpoint, "/images/custom", imageStatus="PENDING", region="us-east-1", nextToken=token
    )
    other_region = signed_get(
        local_endpoint, "/images/custom", imageStatus="FAILED", region="eu-west-1", nextToken=token
    )

    # then: both are refused as invalid tokens
    assert (other_status.status, other_region.status) == (400, 400)
    assert "token" in other_status.body["message"].lower()
    assert "token" in other_region.body["message"].lower()


def test_a_reordered_replay_of_a_repeated_parameter_is_refused_not_answered_differently(
    local_endpoint: LocalEndpoint,
) -> None:
    # given: a request signed with imageStatus twice, and its replay with the two values swapped (SigV4 sorts
    # a canonical query by name and value, so the replay's signature still verifies)
    signed_url = local_endpoint.base_url + "/images/custom?imageStatus=AVAILABLE&imageStatus=PENDING"
    headers = local_endpoint.sign("GET", signed_url)
    replayed_url = local_endpoint.base_url + "/images/custom?imageStatus=PENDING&imageStatus=AVAILABLE"

    # when: both are sent through the gateway
    original, replayed = http_get(signed_url, headers=headers), http_get(replayed_url, headers=headers)

    # then: the gateway passes both values on (multiValueQueryStringParameters), and the function refuses
    # the repeat in both orders: the reordering cannot change what the request answers
    expected = (400, {"message": "Bad Request: repeated query parameter 'imageStatus'"})
    assert (original.status, original.body) == expected
    assert (replayed.status, replayed.body) == expected


@pytest.mark.parametrize("region", ["us-east-7", "eu-foo-1"])
@pytest.mark.parametrize("status", ["AVAILABLE", "PENDING"])
def test_a_well_formed_region_aws_does_not_have_is_the_unreachable_400(
    local_endpoint: LocalEndpoint, status: str, region: str
) -> None:
    # given/when: a Region name of the partition's pattern that AWS does not have (no endpoint resolves)
    answer = signed_get(local_endpoint, "/images/custom", imageStatus=status, region=region)

    # then: the function's answer for an unreachable Region, as on AWS (the emulator once said 500)
    assert (answer.status, answer.body) == (
        400,
        {"message": f"Bad Request: region '{region}' is unreachable"},
    )


@pytest.mark.parametrize("status", ["AVAILABLE", "PENDING", "FAILED"])
def test_a_forged_token_carrying_an_aws_continuation_token_is_the_invalid_token_400(
    local_endpoint: LocalEndpoint, status: str
) -> None:
    # given: a well-formed token (valid checksum) for this listing, carrying a made-up AWS continuation token
    forged = encode_token(status, local_endpoint.region, Cursor(max_results=5, aws_token="forged-by-caller"))

    # when: it is sent
    answer = signed_get(local_endpoint, "/images/custom", imageStatus=status, nextToken=forged)

    # then: AWS rejects the continuation token, and the function says the token is invalid (not a 500)
    assert (answer.status, answer.body) == (400, {"message": "Bad Request: invalid nextToken"})


@pytest.mark.parametrize(
    ("body", "query"),
    [
        (b"[1, 2]", {"imageStatus": "AVAILABLE"}),
        (b"not json", {"imageStatus": "AVAILABLE"}),
        (json.dumps({"imageStatus": "PENDING"}).encode(), {"imageStatus": "AVAILABLE"}),
    ],
    ids=["array-body", "not-json", "conflicts-with-query"],
)
def test_a_bad_or_conflicting_body_is_a_400(
    local_endpoint: LocalEndpoint, body: bytes, query: dict[str, str]
) -> None:
    # given/when: a signed GET whose body is not a JSON object, or disagrees with the query string
    answer = signed_get(local_endpoint, "/images/custom", body, **query)

    # then: 400 with a message
    assert answer.status == 400
    assert answer.body["message"].startswith("Bad Request")


# --- 429 and 500: real AWS error responses from the fault-injecting proxy ---


def test_aws_throttling_that_outlasts_retries_is_a_429_with_retry_after(
    local_endpoint: LocalEndpoint,
) -> None:
    # given: every AWS call for this Region answers RequestLimitExceeded / Throttling
    assert local_endpoint.emulated_aws is not None
    proxy = local_endpoint.emulated_aws.proxy
    assert proxy is not None
    calls_before = proxy.faulted_calls

    for status in ("AVAILABLE", "FAILED"):  # EC2 and CloudFormation
        # when: the listing is requested there
        answer = signed_get(local_endpoint, "/images/custom", imageStatus=status, region=THROTTLED_REGION)

        # then: 429 with Retry-After, and the SDK really called (and retried) AWS
        assert answer.status == 429
        assert int(answer.header("Retry-After") or "0") > 0
        assert "message" in answer.body
    assert proxy.faulted_calls - calls_before >= 4


@pytest.mark.parametrize("status", ["AVAILABLE", "PENDING"])
def test_aws_access_denied_is_a_generic_500_without_aws_detail(
    local_endpoint: LocalEndpoint, status: str
) -> None:
    # given: AWS denies the function's calls for this Region, naming a role ARN and account id

    # when: the listing is requested there
    answer = signed_get(local_endpoint, "/images/custom", imageStatus=status, region=ACCESS_DENIED_REGION)

    # then: 500 with a generic message and the request id, no ARN, account id or AWS text
    assert answer.status == 500
    message = answer.body["message"]
    assert answer.header("x-amzn-RequestId") in message
    assert "arn:" not in message
    assert not re.search(r"\d{12}", message)
    assert "not authorized" not in message


# --- 403: what API Gateway answers before the function runs ---


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/prod/images"),
        ("GET", "/prod/images/custom/extra"),
        ("GET", "/prod/"),
        ("POST", "/prod/images/custom"),
        ("DELETE", "/prod/v3/images/custom"),
        ("GET", "/images/custom"),
        ("GET", "/beta/images/custom"),
    ],
)
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_an_unknown_route_is_403_missing_authentication_token(
    local_endpoint: LocalEndpoint, method: str, path: str, signed: bool
) -> None:
    # given: a path or method the template does not deploy (or a path outside the stage)
    url = local_endpoint.base_url.removesuffix("/prod") + path + "?imageStatus=AVAILABLE"
    headers = local_endpoint.sign(method, url) if signed else {}

    # when: it is requested
    answer = http_get(url, headers=headers, method=method)

    # then: API Gateway's answer for a missing resource or method
    assert answer.status == 403
    assert answer.body == {"message": "Missing Authentication Token"}
    assert answer.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"


@pytest.mark.parametrize("path", ROUTES)
def test_an_unsigned_request_to_an_iam_route_is_403(local_endpoint: LocalEndpoint, path: str) -> None:
    # given/when: a valid request without a signature
    answer = http_get(local_endpoint.url(path, imageStatus="AVAILABLE"))

    # then: refused before the function runs
    assert (answer.status, answer.body) == (403, {"message": "Missing Authentication Token"})


def test_a_signature_with_the_wrong_secret_is_403(local_endpoint: LocalEndpoint) -> None:
    # given: a request signed with the right access key but a wrong secret
    url = local_endpoint.url("/images/custom", imageStatus="AVAILABLE")
    impostor = LocalCredentials(local_endpoint.credentials.access_key, "not-the-secret")
    headers = sign("GET", url, impostor, local_endpoint.region)

    # when: it is sent
    answer = http_get(url, headers=headers)

    # then: refused as an invalid signature
    assert (answer.status, answer.body) == (403, {"message": _INVALID_SIGNATURE})
    assert answer.header("x-amzn-ErrorType") == "InvalidSignatureException"


def test_a_request_changed_after_signing_is_403(local_endpoint: LocalEndpoint) -> None:
    # given: a correctly signed AVAILABLE request whose query is then changed to FAILED
    signed_url = local_endpoint.url("/images/custom", imageStatus="AVAILABLE")
    headers = local_endpoint.sign("GET", signed_url)
    tampered_url = local_endpoint.url("/images/custom", imageStatus="FAILED")

    # when: the changed request is sent with the original signature
    answer = http_get(tampered_url, headers=headers)

    # then: the signature no longer matches
    assert (answer.status, answer.body) == (403, {"message": _INVALID_SIGNATURE})


def _assert_is_the_fixed_access_denial(answer: Answer) -> None:
    """403 AccessDeniedException with the stack's fixed ACCESS_DENIED text and the caller's request id."""
    assert answer.status == 403
    assert answer.header("x-amzn-ErrorType") == "AccessDeniedException"
    assert answer.body["message"].startswith("Access denied: the signing credentials are not valid")
    assert answer.body["message"].endswith(f"(request id: {answer.header('x-amzn-RequestId')})")


def test_an_unknown_access_key_is_403(local_endpoint: LocalEndpoint) -> None:
    # given: a request signed with a key pair the gateway does not know
    url = local_endpoint.url("/images/custom", imageStatus="AVAILABLE")
    headers = sign("GET", url, LocalCredentials("AKIDSOMEONEELSE", "secret"), local_endpoint.region)

    # when/then: refused as an access denial (as API Gateway files an unknown key), with the stack's
    # fixed ACCESS_DENIED text and the request id, never the caller's or the API's ARN
    answer = http_get(url, headers=headers)
    _assert_is_the_fixed_access_denial(answer)


def test_a_session_token_the_credentials_do_not_have_is_403(local_endpoint: LocalEndpoint) -> None:
    # given: a request correctly signed with the endpoint's key pair (which has no session token), plus a
    # made-up X-Amz-Security-Token (signed too)
    url = local_endpoint.url("/images/custom", imageStatus="AVAILABLE")
    headers = sign("GET", url, local_endpoint.credentials, local_endpoint.region, session_token="garbage")
    assert headers["X-Amz-Security-Token"] == "garbage"

    # when: it is sent
    answer = http_get(url, headers=headers)

    # then: refused as API Gateway refuses an invalid security token: an access denial, answered through
    # the stack's ACCESS_DENIED gateway response (fixed text and the request id)
    _assert_is_the_fixed_access_denial(answer)


def test_a_signature_scoped_to_another_region_is_403(local_endpoint: LocalEndpoint) -> None:
    # given: the right key pair, but signed for eu-west-1 instead of the API's Region
    url = local_endpoint.url("/images/custom", imageStatus="AVAILABLE")
    headers = sign("GET", url, local_endpoint.credentials, "eu-west-1")

    # when/then: refused
    answer = http_get(url, headers=headers)
    assert answer.status == 403
    assert "region" in answer.body["message"]


def test_a_body_changed_after_signing_is_403(local_endpoint: LocalEndpoint) -> None:
    # given: a request signed over one JSON body, sent with another
    url = local_endpoint.url("/images/custom")
    signed_body = json.dumps({"imageStatus": "AVAILABLE"}).encode()
    headers = local_endpoint.sign("GET", url, headers={"Content-Type": "application/json"}, body=signed_body)

    # when: the body is swapped
    answer = http_get(url, headers=headers, body=json.dumps({"imageStatus": "FAILED"}).encode())

    # then: refused
    assert (answer.status, answer.body) == (403, {"message": _INVALID_SIGNATURE})
