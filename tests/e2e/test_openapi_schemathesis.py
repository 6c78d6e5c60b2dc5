"""Property-based: requests generated from the OpenAPI document get documented answers from the endpoint.

schemathesis generates valid and invalid queries for both routes; every request is SigV4-signed and
sent to the local endpoint (the synthesized template's routes, the real handler, emulated AWS). No
answer may be a 5xx, an undocumented status, a wrong Content-Type, a missing documented header or a
body off its schema.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
import requests
import schemathesis
from botocore.credentials import Credentials
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from client.api_client import sigv4_headers
from local import LocalEndpoint
from tests.e2e.support import ACCESS_DENIED_REGION, ROUTES, THROTTLED_REGION
from tests.openapi_contract import OPENAPI_DOCUMENT_PATH

# At least this many generated requests per run: about 85 s on 2 cores, most of it emulated AWS answering
# the valid ones.
GENERATED_REQUESTS = 1000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

SCHEMA = schemathesis.openapi.from_path(OPENAPI_DOCUMENT_PATH)
# Valid inputs (documented statuses, mostly 200/400 by region) and invalid ones (missing or wrong
# imageStatus, odd types), for both routes.
GENERATED_CASES = st.one_of(
    SCHEMA.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE),
    SCHEMA.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE),
)


class SigV4Signer(requests.auth.AuthBase):
    """requests auth: put the query in SigV4's canonical (RFC 3986) form, then sign the URL as sent.

    Re-encoding first (requests writes spaces as "+") makes the signature the one API Gateway itself
    would compute, not only one the local gateway accepts.
    """

    def __init__(self, credentials: Credentials, signing_region: str) -> None:
        self._credentials = credentials
        self._signing_region = signing_region

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(str(request.url))
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        request.url = parts._replace(query=urlencode(pairs, quote_via=quote, safe="-_.~")).geturl()
        request.headers.update(
            sigv4_headers(request.url, credentials=self._credentials, signing_region=self._signing_region)
        )
        return request


@pytest.mark.slow
def test_generated_requests_get_documented_answers(local_endpoint: LocalEndpoint) -> None:
    # given the local endpoint and a signer with its credentials
    signer = SigV4Signer(
        Credentials(local_endpoint.credentials.access_key, local_endpoint.credentials.secret_key),
        local_endpoint.region,
    )
    statuses: Counter[int] = Counter()

    # when schemathesis sends generated requests and checks each answer against the document
    with requests.Session() as session:

        @settings(
            max_examples=GENERATED_REQUESTS,
            deadline=None,
            database=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        @given(case=GENERATED_CASES)
        def send_and_check(case: schemathesis.Case[Any]) -> None:
            response = case.call(base_url=local_endpoint.base_url, session=session, auth=signer)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS)

        send_and_check()

    # then every request was answered within the document (no failure raised above), enough were sent,
    # every signature verified (no 403), and both successes and refusals of bad input were exercised
    assert sum(statuses.values()) >= GENERATED_REQUESTS, statuses
    assert statuses[403] == 0, statuses
    assert statuses[200] > 0, statuses
    assert statuses[400] > 0, statuses


@pytest.mark.parametrize("path", ROUTES)
def test_refusals_and_failures_are_answered_as_documented(local_endpoint: LocalEndpoint, path: str) -> None:
    # given an operation of the document, a valid signer and one with the wrong secret
    operation = SCHEMA[path]["GET"]
    signer = SigV4Signer(
        Credentials(local_endpoint.credentials.access_key, local_endpoint.credentials.secret_key),
        local_endpoint.region,
    )
    wrong_secret = SigV4Signer(
        Credentials(local_endpoint.credentials.access_key, "not-the-secret"), local_endpoint.region
    )
    available = operation.Case(query={"imageStatus": "AVAILABLE"})
    sent = {
        "unsigned": (available, None),
        "badly signed": (available, wrong_secret),
        "no imageStatus": (operation.Case(query={}), signer),
        "AWS throttles": (
            operation.Case(query={"imageStatus": "FAILED", "region": THROTTLED_REGION}),
            signer,
        ),
        "AWS denies": (
            operation.Case(query={"imageStatus": "PENDING", "region": ACCESS_DENIED_REGION}),
            signer,
        ),
    }

    # when each is sent
    answers = {
        name: (case, case.call(base_url=local_endpoint.base_url, auth=auth))
        for name, (case, auth) in sent.items()
    }

    # then each gets the status the contract gives it, in the shape the document gives that status
    # (schemathesis' checks cover the 429's Retry-After header)
    statuses = {name: response.status_code for name, (_, response) in answers.items()}
    assert statuses == {
        "unsigned": 403,
        "badly signed": 403,
        "no imageStatus": 400,
        "AWS throttles": 429,
        "AWS denies": 500,
    }
    for case, response in answers.values():
        case.validate_response(
            response, checks=[check for check in CHECKS if check is not not_a_server_error]
        )
