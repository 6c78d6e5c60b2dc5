"""SigV4 verification: what it refuses, clock skew, session tokens and the clients' query encodings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.sigv4 import (
    INVALID_SECURITY_TOKEN,
    LocalCredentials,
    SignedRequest,
    _candidate_signatures,
    sign,
    verify,
)

CREDENTIALS = LocalCredentials("testing", "testing")
REGION = "us-east-1"
HOST = "127.0.0.1:8080"
PATH_AND_QUERY = "/prod/images/custom?imageStatus=AVAILABLE"


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


def _signed_by(auth: SigV4Auth, url: str) -> dict[str, str]:
    request = AWSRequest(method="GET", url=url, headers={"host": HOST})
    auth.add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


# Each case signs when its test runs, not at collection: a signature is valid for five minutes, and a whole
# suite can take longer than that to reach this module.
@pytest.mark.parametrize(
    ("sign_request", "received_path_and_query", "error_type", "wording"),
    [
        (
            partial(
                sign, "GET", f"http://{HOST}{PATH_AND_QUERY}", LocalCredentials("testing", "not-it"), REGION
            ),
            PATH_AND_QUERY,
            "InvalidSignatureException",
            "does not match",
        ),
        (
            partial(sign, "GET", f"http://{HOST}{PATH_AND_QUERY}", CREDENTIALS, REGION),
            "/prod/images/custom?imageStatus=FAILED",
            "InvalidSignatureException",
            "does not match",
        ),
        (
            partial(sign, "GET", f"http://{HOST}{PATH_AND_QUERY}", CREDENTIALS, REGION),
            "/prod/v3/images/custom?imageStatus=AVAILABLE",
            "InvalidSignatureException",
            "does not match",
        ),
        (
            partial(sign, "GET", f"http://{HOST}{PATH_AND_QUERY}", CREDENTIALS, "eu-west-1"),
            PATH_AND_QUERY,
            "InvalidSignatureException",
            "region",
        ),
        (
            partial(
                _signed_by,
                SigV4Auth(Credentials("testing", "testing"), "lambda", REGION),
                f"http://{HOST}{PATH_AND_QUERY}",
            ),
            PATH_AND_QUERY,
            "InvalidSignatureException",
            "service",
        ),
        (
            partial(
                sign,
                "GET",
                f"http://{HOST}{PATH_AND_QUERY}",
                LocalCredentials("AKIDSOMEONEELSE", "testing"),
                REGION,
            ),
            PATH_AND_QUERY,
            "AccessDeniedException",
            "security token",
        ),
    ],
    ids=["wrong-secret", "changed-query", "changed-path", "wrong-region", "wrong-service", "unknown-key"],
)
def test_a_signature_that_does_not_fit_the_request_or_the_credentials_is_refused(
    sign_request: Callable[[], dict[str, str]], received_path_and_query: str, error_type: str, wording: str
) -> None:
    # given: a well-formed, fresh signature made with something other than what the gateway expects
    received = _received(received_path_and_query, sign_request())

    # when: it is verified against testing/testing in us-east-1
    rejection = verify(received, CREDENTIALS, REGION)

    # then: refused, with API Gateway's error type and a message that says why
    assert rejection is not None
    assert rejection.error_type == error_type
    assert wording in rejection.message


def _signed_over_canonical_query() -> dict[str, str]:
    """Headers of a client that signs the canonical query (decoded, re-encoded), like curl."""
    request = AWSRequest(
        method="GET",
        url=f"http://{HOST}/prod/images/custom",
        params=[("imageStatus", "FAILED"), ("nextToken", "a+b")],
        headers={"host": HOST},
    )
    SigV4Auth(Credentials("testing", "testing"), "execute-api", REGION).add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


@pytest.mark.parametrize(
    ("sign_request", "sent", "accepting_candidate"),
    [
        # sent with lower-case percent-encoding, which only the decoded (canonical) reading matches
        (_signed_over_canonical_query, "/prod/images/custom?imageStatus=FAILED&nextToken=a%2bb", 0),
        # signed and sent with a raw '+', which the canonical reading would take for a space
        (
            partial(
                sign,
                "GET",
                f"http://{HOST}/prod/images/custom?imageStatus=FAILED&nextToken=a+b",
                CREDENTIALS,
                REGION,
            ),
            "/prod/images/custom?imageStatus=FAILED&nextToken=a+b",
            1,
        ),
    ],
    ids=["canonical-query", "query-as-written"],
)
def test_both_query_canonicalisations_refuse_a_changed_query(
    sign_request: Callable[[], dict[str, str]], sent: str, accepting_candidate: int
) -> None:
    # given: a request that only one of the verifier's two query canonicalisations accepts
    signed_headers = sign_request()
    provided = signed_headers["Authorization"].rsplit("Signature=", 1)[1]
    names = signed_headers["Authorization"].split("SignedHeaders=", 1)[1].split(",")[0].split(";")

    def candidates(path_and_query: str) -> list[str]:
        received = _received(path_and_query, signed_headers)
        lowered = {name.lower(): value for name, value in received.headers.items()}
        return _candidate_signatures(received, lowered, names, CREDENTIALS, REGION)

    assert [signature == provided for signature in candidates(sent)] == [
        index == accepting_candidate for index in range(2)
    ]
    assert verify(_received(sent, signed_headers), CREDENTIALS, REGION) is None

    # when: it arrives with its nextToken changed
    changed = sent.replace("nextToken=a", "nextToken=c")

    # then: neither canonicalisation matches the signature, so the verifier refuses it
    assert provided not in candidates(changed)
    rejection = verify(_received(changed, signed_headers), CREDENTIALS, REGION)
    assert rejection is not None
    assert rejection.error_type == "InvalidSignatureException"


# --- session tokens: temporary credentials are accepted with their own token only ---

TEMPORARY = LocalCredentials("ASIATEMPORARY", "temporary-secret", session_token="the-session-token")


@pytest.mark.parametrize(
    ("credentials", "sent_token"),
    [(CREDENTIALS, "garbage"), (TEMPORARY, "another-token"), (TEMPORARY, None)],
    ids=["token-on-a-key-without-one", "wrong-token", "missing-token"],
)
def test_a_session_token_that_is_not_the_credentials_own_is_refused(
    credentials: LocalCredentials, sent_token: str | None
) -> None:
    # given: a request correctly signed with the key pair, carrying a session token that is not its own
    signing = LocalCredentials(credentials.access_key, credentials.secret_key, session_token=sent_token)
    headers = sign("GET", f"http://{HOST}{PATH_AND_QUERY}", signing, REGION)
    assert ("X-Amz-Security-Token" in headers) is (sent_token is not None)

    # when: it is verified
    rejection = verify(_received(PATH_AND_QUERY, headers), credentials, REGION)

    # then: refused as API Gateway refuses an invalid security token (an access denial)
    assert rejection == INVALID_SECURITY_TOKEN
    assert rejection.message == "The security token included in the request is invalid."


def test_temporary_credentials_verify_with_their_own_session_token() -> None:
    # given: a request signed with temporary credentials and their session token
    headers = sign("GET", f"http://{HOST}{PATH_AND_QUERY}", TEMPORARY, REGION)

    # when/then: it verifies
    assert headers["X-Amz-Security-Token"] == "the-session-token"
    assert verify(_received(PATH_AND_QUERY, headers), TEMPORARY, REGION) is None


@pytest.mark.parametrize("host", ["[", "a]b:80", "[::1", "\u00e9\u00e9"])
def test_a_host_header_that_is_no_url_host_is_verified_like_any_other(host: str) -> None:
    # given: a request signed over a Host header that cannot be parsed as a URL's host ("Invalid IPv6 URL")
    headers = sign("GET", f"http://{HOST}{PATH_AND_QUERY}", CREDENTIALS, REGION, headers={"Host": host})
    path, _, query = PATH_AND_QUERY.partition("?")

    # when: it is verified as sent, and with another Host
    as_signed = verify(SignedRequest("GET", path, query, headers, b""), CREDENTIALS, REGION)
    other_host = verify(
        SignedRequest("GET", path, query, {**headers, "Host": HOST}, b""), CREDENTIALS, REGION
    )

    # then: a verdict, no exception: the signature holds for the Host it covers and no other
    assert as_signed is None
    assert other_host is not None
    assert other_host.error_type == "InvalidSignatureException"


def test_a_signature_with_non_ascii_characters_is_refused_not_an_error() -> None:
    # given: a signed request whose Signature was replaced by non-ASCII text (hmac refuses non-ASCII str)
    headers = sign("GET", f"http://{HOST}{PATH_AND_QUERY}", CREDENTIALS, REGION)
    headers["Authorization"] = headers["Authorization"].rsplit("Signature=", 1)[0] + "Signature=\u00e9\u00e9"

    # when/then: it is an invalid signature
    rejection = verify(_received(PATH_AND_QUERY, headers), CREDENTIALS, REGION)
    assert rejection is not None
    assert rejection.error_type == "InvalidSignatureException"
