"""Verify AWS Signature Version 4 on incoming requests, as API Gateway does for AWS_IAM methods.

botocore does the cryptography: the request is rebuilt from what the client said it signed, the
signature is recomputed with the known local credentials and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "execute-api"
_ALGORITHM = "AWS4-HMAC-SHA256"
_MAX_CLOCK_SKEW = timedelta(minutes=5)
_AUTH_PARAMETER = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]+)")
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_URL_HOST = "local-api-gateway.invalid"


@dataclass(frozen=True)
class LocalCredentials:
    """The credentials the local gateway accepts signatures from, and who they belong to.

    Parameters
    ----------
    access_key, secret_key:
        The key pair clients sign with.
    session_token:
        The session token that belongs to temporary credentials (sent as ``X-Amz-Security-Token``);
        None for a long-term key pair, which then accepts no session token at all.
    account_id, user_arn, user_id:
        The identity API Gateway would report for that key in the event's requestContext.
    """

    access_key: str
    secret_key: str
    session_token: str | None = None
    account_id: str | None = None
    user_arn: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class SignatureRejection:
    """Why a request was refused, with API Gateway's error type and message."""

    error_type: str
    message: str


@dataclass(frozen=True)
class SignedRequest:
    """What the gateway received, as the signature verifier needs it."""

    method: str
    raw_path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes


MISSING_TOKEN = SignatureRejection("MissingAuthenticationTokenException", "Missing Authentication Token")
_INVALID_SIGNATURE = SignatureRejection(
    "InvalidSignatureException",
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details.",
)
# API Gateway reports an unknown access key, and a session token that is not the key's, as an access
# denial (AccessDeniedException) with this message.
INVALID_SECURITY_TOKEN = SignatureRejection(
    "AccessDeniedException", "The security token included in the request is invalid."
)


def verify(
    request: SignedRequest, credentials: LocalCredentials, region: str, *, now: datetime | None = None
) -> SignatureRejection | None:
    """Check the request's SigV4 ``Authorization`` header; return None if valid, else why not.

    Parameters
    ----------
    request:
        The request as received: header names in any case, path and query exactly as sent.
    credentials:
        The only key pair the gateway accepts, and its session token: a request must carry exactly that
        token in ``X-Amz-Security-Token`` (none if the key pair has none).
    region:
        The Region the credential scope must name (service must be ``execute-api``).
    now:
        The current time (for tests of clock skew); defaults to the system clock.
    """
    headers = {name.lower(): value for name, value in request.headers.items()}
    authorization = headers.get("authorization")
    if not authorization:
        return MISSING_TOKEN
    if not authorization.startswith(_ALGORITHM + " "):
        return SignatureRejection(
            "IncompleteSignatureException", f"Authorization header requires '{_ALGORITHM}' signing."
        )
    parameters = dict(_AUTH_PARAMETER.findall(authorization))
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if name not in parameters]
    if missing:
        return SignatureRejection(
            "IncompleteSignatureException",
            "Authorization header requires " + ", ".join(f"'{name}'" for name in missing) + " parameter(s).",
        )
    scope = parameters["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        return SignatureRejection("IncompleteSignatureException", "Credential is malformed.")
    access_key, scope_date, scope_region, scope_service, _ = scope
    if access_key != credentials.access_key or not _session_token_matches(
        headers.get("x-amz-security-token"), credentials.session_token
    ):
        return INVALID_SECURITY_TOKEN
    if scope_service != SERVICE:
        return SignatureRejection(
            "InvalidSignatureException", f"Credential should be scoped to correct service: '{SERVICE}'."
        )
    if scope_region != region:
        return SignatureRejection(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region, not '{scope_region}'.",
        )
    timestamp_problem = _check_timestamp(headers.get("x-amz-date", ""), scope_date, now)
    if timestamp_problem:
        return timestamp_problem
    signed_headers = parameters["SignedHeaders"].split(";")
    if "host" not in signed_headers or any(name not in headers for name in signed_headers):
        return _INVALID_SIGNATURE
    content_hash = headers.get("x-amz-content-sha256")
    if content_hash is not None and content_hash != hashlib.sha256(request.body).hexdigest():
        return _INVALID_SIGNATURE
    # As bytes: compare_digest refuses str with non-ASCII characters, which a forged header may hold.
    provided = parameters["Signature"].encode()
    for expected in _candidate_signatures(request, headers, signed_headers, credentials, region):
        if hmac.compare_digest(expected.encode(), provided):
            return None
    return _INVALID_SIGNATURE


def sign(
    method: str,
    url: str,
    credentials: LocalCredentials,
    region: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    session_token: str | None = None,
) -> dict[str, str]:
    """Sign a request for the local gateway (or any execute-api endpoint) and return its headers.

    ``url`` is signed exactly as given, so build its query string with
    ``urlencode(params, quote_via=quote, safe="-_.~")``. ``session_token`` (default: the credentials'
    own) is sent as ``X-Amz-Security-Token``.
    """
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    token = session_token if session_token is not None else credentials.session_token
    botocore_credentials = Credentials(credentials.access_key, credentials.secret_key, token)
    SigV4Auth(botocore_credentials, SERVICE, region).add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


def _session_token_matches(sent: str | None, expected: str | None) -> bool:
    """Whether the request's ``X-Amz-Security-Token`` is the credentials' own (both absent counts)."""
    if expected is None:
        return sent is None
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


def _check_timestamp(amz_date: str, scope_date: str, now: datetime | None) -> SignatureRejection | None:
    try:
        signed_at = datetime.strptime(amz_date, _AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return SignatureRejection(
            "IncompleteSignatureException",
            "Authorization header requires existence of a 'X-Amz-Date' header.",
        )
    if amz_date[:8] != scope_date:
        return SignatureRejection("InvalidSignatureException", "Date in Credential scope does not match.")
    current = now or datetime.now(UTC)
    if signed_at < current - _MAX_CLOCK_SKEW:
        return SignatureRejection(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is now earlier than "
            f"{(current - _MAX_CLOCK_SKEW).strftime(_AMZ_DATE_FORMAT)} "
            f"({current.strftime(_AMZ_DATE_FORMAT)} - 5 min.)",
        )
    if signed_at > current + _MAX_CLOCK_SKEW:
        return SignatureRejection(
            "InvalidSignatureException",
            f"Signature not yet current: {amz_date} is still later than "
            f"{(current + _MAX_CLOCK_SKEW).strftime(_AMZ_DATE_FORMAT)} "
            f"({current.strftime(_AMZ_DATE_FORMAT)} + 5 min.)",
        )
    return None


def _candidate_signatures(
    request: SignedRequest,
    headers: Mapping[str, str],
    signed_headers: list[str],
    credentials: LocalCredentials,
    region: str,
) -> list[str]:
    """Signatures over the two query canonicalisations clients use.

    SigV4 canonicalises the query by decoding and re-encoding each pair (what curl, requests-aws4auth
    and botocore with ``params`` do); botocore given a ready-made URL signs its query as written.
    Both are keyed with the secret, so accepting either weakens nothing.
    """
    auth = SigV4Auth(Credentials(credentials.access_key, credentials.secret_key), SERVICE, region)
    # The signed Host header is taken from ``signed``; the URL only carries path and query. Built from a
    # fixed host, it cannot fail to parse whatever the client sent as Host ("[" is an invalid IPv6 URL).
    url = "http://" + _URL_HOST + request.raw_path
    signed = {name: headers[name] for name in signed_headers}
    decoded_pairs = parse_qsl(request.raw_query, keep_blank_values=True)
    variants = [
        AWSRequest(method=request.method, url=url, headers=signed, data=request.body, params=decoded_pairs),
        AWSRequest(
            method=request.method,
            url=url + ("?" + request.raw_query if request.raw_query else ""),
            headers=signed,
            data=request.body,
        ),
    ]
    signatures = []
    for variant in variants:
        variant.context["timestamp"] = headers["x-amz-date"]
        canonical_request = auth.canonical_request(variant)
        signatures.append(auth.signature(auth.string_to_sign(variant, canonical_request), variant))
    return signatures
