"""SigV4 verification details that are awkward over HTTP: clock skew and the clients' query encodings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.sigv4 import LocalCredentials, SignedRequest, sign, verify

CREDENTIALS = LocalCredentials("testing", "testing")
REGION = "us-east-1"
HOST = "127.0.0.1:8080"


def _received(url_path_and_query: str, headers: dict[str, str], body: bytes = b"") -> SignedRequest:
    path, _, query = url_path_and_query.partition("?")
    return SignedRequest("GET", path, query, {"Host": HOST, **headers}, body)


def test_a_fresh_signature_verifies() -> None:
    # given: a request signed now
    headers = sign("GET", f"http://{HOST}/prod/images/custom?imageStatus=AVAILABLE", CREDENTIALS, REGION)

    # when/then: it verifies
    assert (
        verify(_received("/prod/images/custom?imageStatus=AVAILABLE", headers), CREDENTIALS, REGION) is None
    )


@pytest.mark.parametrize(
    ("minutes", "wording"), [(6, "Signature expired"), (-6, "Signature not yet current")]
)
def test_a_signature_more_than_five_minutes_off_is_refused(minutes: int, wording: str) -> None:
    # given: a valid signature, checked by a clock six minutes later (or earlier)
    headers = sign("GET", f"http://{HOST}/prod/images/custom", CREDENTIALS, REGION)
    later = datetime.now(UTC) + timedelta(minutes=minutes)

    # when: it is verified
    rejection = verify(_received("/prod/images/custom", headers), CREDENTIALS, REGION, now=later)

    # then: refused for its age, as API Gateway does
    assert rejection is not None
    assert rejection.message.startswith(wording)


def test_a_query_signed_in_canonical_form_verifies_whatever_its_sent_encoding() -> None:
    # given: a client (like curl or requests-aws4auth) that signs the canonical (decoded, re-encoded) query
    request = AWSRequest(
        method="GET",
        url=f"http://{HOST}/prod/images/custom",
        params=[("region", "eu-west-1"), ("imageStatus", "FAILED"), ("nextToken", "a+b/c=")],
        headers={"host": HOST},
    )
    SigV4Auth(Credentials("testing", "testing"), "execute-api", REGION).add_auth(request)
    headers = {name: str(value) for name, value in request.headers.items()}

    # when: the query arrives unsorted and percent-encoded differently from the canonical form
    received = _received(
        "/prod/images/custom?region=eu-west-1&imageStatus=FAILED&nextToken=a%2Bb%2Fc%3D", headers
    )

    # then: it verifies
    assert verify(received, CREDENTIALS, REGION) is None


def test_a_content_hash_header_that_does_not_match_the_body_is_refused() -> None:
    # given: a signed request carrying x-amz-content-sha256 of an empty body
    headers = sign(
        "GET",
        f"http://{HOST}/prod/images/custom",
        CREDENTIALS,
        REGION,
        headers={"x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    )

    # when: it arrives with a body
    rejection = verify(
        _received("/prod/images/custom", headers, b'{"imageStatus":"FAILED"}'), CREDENTIALS, REGION
    )

    # then: refused (the signed hash does not cover what was sent)
    assert rejection is not None
    assert rejection.error_type == "InvalidSignatureException"


@pytest.mark.parametrize(
    ("authorization", "error_type"),
    [
        ("Bearer abc", "IncompleteSignatureException"),
        (
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/execute-api/aws4_request",
            "IncompleteSignatureException",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, "
            "SignedHeaders=host, Signature=0",
            "InvalidSignatureException",
        ),
    ],
    ids=["not-sigv4", "no-signature", "wrong-service"],
)
def test_a_malformed_authorization_header_is_refused(authorization: str, error_type: str) -> None:
    # given/when: an Authorization header that is not a usable SigV4 one
    rejection = verify(
        _received("/prod/images/custom", {"Authorization": authorization, "Host": HOST}), CREDENTIALS, REGION
    )

    # then: refused with API Gateway's error type
    assert rejection is not None
    assert rejection.error_type == error_type
