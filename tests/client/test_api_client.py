"""ListImagesClient against a fake endpoint that verifies every SigV4 signature."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import islice
from pathlib import Path

import botocore.session
import pytest
from botocore.credentials import Credentials

from client.api_client import (
    LIST_IMAGES_PATH,
    LIST_IMAGES_V3_PATH,
    ListImagesApiError,
    ListImagesClient,
    ListImagesClientError,
    ListImagesConfigurationError,
    ListImagesConnectionError,
    ListImagesCredentialsError,
    ListImagesPaginationError,
    ListImagesRedirectError,
    ListImagesSigningRegionError,
    ListImagesThrottledError,
    ListImagesTimeoutError,
    retry_after_seconds,
    signing_region_from_url,
    sigv4_headers,
)
from client.local_endpoint import LOCAL_ENDPOINT_URL
from tests.client.conftest import (
    CUSTOM_DOMAIN_MOUNT,
    CUSTOM_DOMAIN_REGION,
    EXPLICIT_ACCESS_KEY,
    EXPLICIT_SECRET_KEY,
    LEAKED_SECRET,
    STAGE_MOUNT,
    STAGE_REGION,
    failing_credential_process,
)
from tests.client.fake_endpoint import CannedResponse, FakeEndpoint, ReceivedRequest
from tests.client.raw_server import raw_server
from tests.client.samples import AVAILABLE_IMAGE

FAKE_CREDENTIALS = Credentials("AKIDRAWSERVER", "raw-server-secret", "raw-server-session-token")


def image(image_id: str, region: str = "us-east-1") -> dict[str, object]:
    """A FAILED-image summary as the endpoint returns it."""
    return {
        "imageId": image_id,
        "imageBuildStatus": "BUILD_FAILED",
        "cloudformationStackStatus": "CREATE_FAILED",
        "cloudformationStackArn": f"arn:aws:cloudformation:{region}:123456789012:stack/{image_id}/1",
        "region": region,
        "version": "3.9.0",
    }


def stage_client(
    endpoint: FakeEndpoint, *, credentials: Credentials | None = None, path: str = LIST_IMAGES_PATH
) -> ListImagesClient:
    """A client of the fake's stage mount, signing for the stage's Region (ambient credentials by default)."""
    return ListImagesClient(
        endpoint.base_url + STAGE_MOUNT, signing_region=STAGE_REGION, credentials=credentials, path=path
    )


def test_one_page_is_signed_sent_and_returned(fake_endpoint: FakeEndpoint) -> None:
    # given the endpoint has one page of AVAILABLE images
    page = {"images": [AVAILABLE_IMAGE]}
    fake_endpoint.answer(STAGE_MOUNT, {"imageStatus": "AVAILABLE"}, CannedResponse(200, page))

    # when the client asks for it with the ambient (botocore chain) credentials
    result = stage_client(fake_endpoint).list_images_page("AVAILABLE")

    # then the signed request was accepted and the page comes back as sent (camelCase)
    assert result == page
    assert fake_endpoint.received == [
        ReceivedRequest("/prod/images/custom", {"imageStatus": "AVAILABLE"}, "us-east-1")
    ]


def test_region_and_next_token_are_sent_as_given(fake_endpoint: FakeEndpoint) -> None:
    # given a page behind a token full of characters that need encoding
    token = "eyJz/IjoiQVZB+TEFCTEUifQ==?&x= ü"
    query = {"imageStatus": "FAILED", "region": "eu-west-1", "nextToken": token}
    fake_endpoint.answer(STAGE_MOUNT, query, CannedResponse(200, {"images": [image("image-a", "eu-west-1")]}))

    # when the client asks for that page
    result = stage_client(fake_endpoint).list_images_page("FAILED", region="eu-west-1", next_token=token)

    # then the server decoded exactly the values given, and the signature verified over them
    assert result["images"][0]["imageId"] == "image-a"
    assert fake_endpoint.received[0].query == query


def test_empty_region_and_token_are_left_out(fake_endpoint: FakeEndpoint) -> None:
    # given the endpoint answers the bare query
    fake_endpoint.answer(STAGE_MOUNT, {"imageStatus": "PENDING"}, CannedResponse(200, {"images": []}))

    # when the client is given empty optional inputs (which the contract treats as absent)
    stage_client(fake_endpoint).list_images_page("PENDING", region="", next_token="")

    # then they are not sent at all
    assert fake_endpoint.received[0].query == {"imageStatus": "PENDING"}


def test_iterator_follows_next_token_to_the_last_page(fake_endpoint: FakeEndpoint) -> None:
    # given three pages; the middle one is empty but has a token (the endpoint ran out of time)
    first_token, second_token = "page/2+==", "page 3"
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "FAILED"},
        CannedResponse(200, {"images": [image("image-a"), image("image-b")], "nextToken": first_token}),
    )
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "FAILED", "nextToken": first_token},
        CannedResponse(200, {"images": [], "nextToken": second_token}),
    )
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "FAILED", "nextToken": second_token},
        CannedResponse(200, {"images": [image("image-c")]}),
    )

    # when every image is listed
    images = list(stage_client(fake_endpoint).iter_images("FAILED"))

    # then each image comes once, in order, and the iterator stopped at the page without a token
    assert [entry["imageId"] for entry in images] == ["image-a", "image-b", "image-c"]
    assert [request.query.get("nextToken") for request in fake_endpoint.received] == [
        None,
        first_token,
        second_token,
    ]


def test_iter_pages_can_start_from_a_token(fake_endpoint: FakeEndpoint) -> None:
    # given the last page of a listing
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "FAILED", "nextToken": "t"},
        CannedResponse(200, {"images": [image("image-z")]}),
    )

    # when pages are iterated from that token
    pages = list(stage_client(fake_endpoint).iter_pages("FAILED", next_token="t"))

    # then exactly that page is returned
    assert pages == [{"images": [image("image-z")]}]


def test_v3_path_is_supported(fake_endpoint: FakeEndpoint) -> None:
    # given the endpoint answers on the path ParallelCluster's clients use
    fake_endpoint.answer(STAGE_MOUNT, {"imageStatus": "AVAILABLE"}, CannedResponse(200, {"images": []}))

    # when the client is configured for it
    stage_client(fake_endpoint, path=LIST_IMAGES_V3_PATH).list_images_page("AVAILABLE")

    # then the request went to /v3/images/custom
    assert fake_endpoint.received[0].path == "/prod/v3/images/custom"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (400, "Bad Request: 'available' is not one of ['AVAILABLE', 'PENDING', 'FAILED']"),
        (500, "Internal server error (request id 0f1e2d3c)"),
    ],
)
def test_error_status_raises_typed_error(fake_endpoint: FakeEndpoint, status: int, message: str) -> None:
    # given the endpoint answers an error
    fake_endpoint.answer(
        STAGE_MOUNT, {"imageStatus": "available"}, CannedResponse(status, {"message": message})
    )

    # when the client calls it
    with pytest.raises(ListImagesApiError) as raised:
        stage_client(fake_endpoint).list_images_page("available")

    # then the error carries the status and the endpoint's message
    assert (raised.value.status, raised.value.message) == (status, message)
    assert not isinstance(raised.value, ListImagesThrottledError)
    assert str(raised.value) == f"HTTP {status}: {message}"


def test_throttling_surfaces_retry_after(fake_endpoint: FakeEndpoint) -> None:
    # given the endpoint is throttled by AWS
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "PENDING"},
        CannedResponse(429, {"message": "Too many requests to AWS"}, {"Retry-After": "7"}),
    )

    # when the client calls it
    with pytest.raises(ListImagesThrottledError) as raised:
        stage_client(fake_endpoint).list_images_page("PENDING")

    # then the error is a 429 with the advised delay
    assert (raised.value.status, raised.value.retry_after) == (429, 7)
    assert raised.value.message == "Too many requests to AWS"


def test_iterator_raises_when_a_later_page_fails(fake_endpoint: FakeEndpoint) -> None:
    # given a second page that fails
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "FAILED"},
        CannedResponse(200, {"images": [image("image-a")], "nextToken": "n"}),
    )
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "FAILED", "nextToken": "n"},
        CannedResponse(400, {"message": "Bad Request: invalid nextToken"}),
    )
    images = stage_client(fake_endpoint).iter_images("FAILED")

    # when iterating, then the first image arrives and the failure is raised, not swallowed
    assert next(images)["imageId"] == "image-a"
    with pytest.raises(ListImagesApiError, match="invalid nextToken"):
        next(images)


def test_answer_that_is_not_a_page_is_a_client_error(fake_endpoint: FakeEndpoint) -> None:
    # given something other than the API answers 200 (e.g. a URL pointing at another service)
    fake_endpoint.answer(
        STAGE_MOUNT, {"imageStatus": "AVAILABLE"}, CannedResponse(200, "<html>hello</html>"), documented=False
    )

    # when the client calls it, then it says so instead of failing with a KeyError or a JSON error
    with pytest.raises(ListImagesClientError, match="unexpected answer") as raised:
        stage_client(fake_endpoint).list_images_page("AVAILABLE")
    assert not isinstance(raised.value, ListImagesApiError)


def test_error_without_json_message_keeps_the_text(fake_endpoint: FakeEndpoint) -> None:
    # given a proxy in front of the API answers a plain-text error
    fake_endpoint.answer(
        STAGE_MOUNT, {"imageStatus": "AVAILABLE"}, CannedResponse(502, "Bad Gateway\n"), documented=False
    )

    # when the client calls it, then the status and the text are reported
    with pytest.raises(ListImagesApiError) as raised:
        stage_client(fake_endpoint).list_images_page("AVAILABLE")
    assert (raised.value.status, raised.value.message) == (502, "Bad Gateway")


def test_explicit_credentials_are_used_instead_of_the_chain(fake_endpoint: FakeEndpoint) -> None:
    # given the endpoint has a page
    fake_endpoint.answer(STAGE_MOUNT, {"imageStatus": "AVAILABLE"}, CannedResponse(200, {"images": []}))
    explicit = Credentials(EXPLICIT_ACCESS_KEY, EXPLICIT_SECRET_KEY)

    # when the client signs with explicit credentials, then the endpoint accepts them
    assert stage_client(fake_endpoint, credentials=explicit).list_images_page("AVAILABLE") == {"images": []}

    # and when the secret is wrong, then the endpoint's signature check refuses the call
    wrong = Credentials(EXPLICIT_ACCESS_KEY, "not-the-secret")
    with pytest.raises(ListImagesApiError) as raised:
        stage_client(fake_endpoint, credentials=wrong).list_images_page("AVAILABLE")
    assert raised.value.status == 403
    assert "signature" in raised.value.message
    assert len(fake_endpoint.received) == 1


def test_custom_domain_is_signed_for_the_explicit_region(fake_endpoint: FakeEndpoint) -> None:
    # given a custom domain (host names no Region) mapped to an API in eu-west-1
    custom_domain = fake_endpoint.base_url.replace("127.0.0.1", "localhost") + CUSTOM_DOMAIN_MOUNT
    fake_endpoint.answer(
        CUSTOM_DOMAIN_MOUNT, {"imageStatus": "AVAILABLE"}, CannedResponse(200, {"images": []})
    )

    # when the client is given that Region explicitly, then the signature verifies
    client = ListImagesClient(custom_domain, signing_region=CUSTOM_DOMAIN_REGION)
    assert client.list_images_page("AVAILABLE") == {"images": []}
    assert fake_endpoint.received[0].signing_region == CUSTOM_DOMAIN_REGION

    # and when it signs for another Region, then the endpoint refuses it
    with pytest.raises(ListImagesApiError, match="not 'us-east-1'") as raised:
        ListImagesClient(custom_domain, signing_region="us-east-1").list_images_page("AVAILABLE")
    assert raised.value.status == 403


def test_custom_domain_without_any_region_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given botocore has no Region configured anywhere
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))

    # when a client is made for a custom domain without a signing Region
    with pytest.raises(ListImagesSigningRegionError) as raised:
        ListImagesClient("https://images.example.com", botocore_session=botocore.session.Session())

    # then the error says which argument gives it (and nothing about `make local`: the URL is not local)
    assert raised.value.message.startswith("cannot tell the Region to sign requests for 'https://images.")
    assert 'pass signing_region="<the Region the API is deployed in>"' in raised.value.message
    assert "make local" not in raised.value.message


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_local_url_without_any_region_points_at_the_local_constructor(
    no_ambient_aws: Path, host: str
) -> None:
    # when a client is made for a URL on this machine, with no Region anywhere
    with pytest.raises(ListImagesSigningRegionError) as raised:
        ListImagesClient(f"http://{host}:8080/prod", botocore_session=botocore.session.Session())

    # then the error says how to talk to `make local`
    assert "signing_region=" in raised.value.message
    assert "for `make local`, use ListImagesClient.local()" in raised.value.message
    assert raised.value.loopback


def test_no_credentials_anywhere_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # given botocore's chain finds nothing (no keys, no files, no instance metadata lookups)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in (
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)

    # when a client is made, then it says there is nothing to sign with, and how `make local` is called
    with pytest.raises(ListImagesClientError) as raised:
        ListImagesClient(
            "http://127.0.0.1:8080/prod",
            signing_region="us-east-1",
            botocore_session=botocore.session.Session(),
        )
    assert raised.value.message == (
        "no AWS credentials found to sign the request; "
        "for `make local`, use ListImagesClient.local() or `list-images --local`"
    )


def test_botocore_default_region_signs_a_custom_domain(
    fake_endpoint: FakeEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given botocore's configured Region is the custom domain API's Region
    monkeypatch.setenv("AWS_DEFAULT_REGION", CUSTOM_DOMAIN_REGION)
    monkeypatch.delenv("AWS_REGION", raising=False)
    fake_endpoint.answer(
        CUSTOM_DOMAIN_MOUNT, {"imageStatus": "AVAILABLE"}, CannedResponse(200, {"images": []})
    )

    # when a client is made without an explicit signing Region
    client = ListImagesClient(
        fake_endpoint.base_url + CUSTOM_DOMAIN_MOUNT, botocore_session=botocore.session.Session()
    )

    # then it signs for botocore's Region, which the endpoint accepts
    assert client.signing_region == CUSTOM_DOMAIN_REGION
    assert client.list_images_page("AVAILABLE") == {"images": []}


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        ("https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/prod", "eu-central-1"),
        ("https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn/v1/", "cn-north-1"),
        ("https://images.example.com/prod", None),
        ("http://127.0.0.1:8080/prod", None),
        ("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com.evil.example/prod", None),
        # private APIs through a VPC endpoint's DNS names
        (
            "https://a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.eu-west-3.vpce.amazonaws.com/prod",
            "eu-west-3",
        ),
        (
            "https://vpce-0123456789abcdef0-abcd1234.execute-api.ap-northeast-1.vpce.amazonaws.com/p",
            "ap-northeast-1",
        ),
        (
            "https://a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.cn-northwest-1.vpce.amazonaws.com.cn/",
            "cn-northwest-1",
        ),
        ("https://a1b2c3d4e5-vpce-0123.execute-api.us-east-1.vpce.amazonaws.com.evil.example/", None),
        ("http://[::1/prod", None),
    ],
)
def test_signing_region_is_read_from_execute_api_hosts_only(endpoint: str, region: str | None) -> None:
    # when / then
    assert signing_region_from_url(endpoint) == region


def test_execute_api_region_wins_over_botocore_default() -> None:
    # given botocore's default Region is us-east-1 (tests/conftest.py) and the API lives in ap-south-1
    client = ListImagesClient("https://a1b2c3d4e5.execute-api.ap-south-1.amazonaws.com/prod")

    # then requests are signed for the API's Region
    assert client.signing_region == "ap-south-1"
    assert client.url == "https://a1b2c3d4e5.execute-api.ap-south-1.amazonaws.com/prod/images/custom"


@pytest.mark.parametrize("endpoint", ["file:///etc/passwd", "ftp://example.com/prod", "127.0.0.1:8080/prod"])
def test_non_http_endpoints_are_refused(endpoint: str) -> None:
    with pytest.raises(ListImagesClientError, match="http"):
        ListImagesClient(endpoint, signing_region="us-east-1")


def test_unreachable_endpoint_is_a_client_error() -> None:
    # given a port nothing listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    # when the client calls it, then the failure is typed and names the URL
    with pytest.raises(
        ListImagesClientError, match=f"cannot reach http://127.0.0.1:{port}/prod/images/custom"
    ):
        ListImagesClient(f"http://127.0.0.1:{port}/prod", signing_region="us-east-1").list_images_page(
            "AVAILABLE"
        )


@pytest.mark.parametrize(
    ("endpoint", "complaint"),
    [
        ("http://127.0.0.1:abc/prod", "not a valid URL"),
        ("http://127.0.0.1:99999/prod", "not a valid URL"),
        ("http://[::1/prod", "not a valid URL"),
        ("http:///prod", "with a host"),
        ("http://h.example/prod?x=1", "query string or fragment"),
        ("http://h.example/prod?", "query string or fragment"),
        ("http://h.example/prod#top", "query string or fragment"),
        ("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/images/custom", "give the API URL"),
        ("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/v3/images/custom/", "give the API URL"),
    ],
)
def test_unusable_endpoint_urls_are_refused(endpoint: str, complaint: str) -> None:
    # when a client is made for a URL it would otherwise crash on or send mangled
    with pytest.raises(ListImagesConfigurationError, match=complaint) as raised:
        ListImagesClient(endpoint, signing_region="us-east-1")

    # then the error says why (and, for a route, which URL to give instead)
    if "images/custom" in endpoint:
        assert "'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod'" in raised.value.message


def test_endpoint_with_password_is_refused_without_echoing_it() -> None:
    with pytest.raises(ListImagesConfigurationError, match="user name or password") as raised:
        ListImagesClient("https://user:hunter2@images.example.com/prod", signing_region="us-east-1")
    assert "hunter2" not in raised.value.message


def test_private_api_vpce_host_is_signed_for_its_region() -> None:
    # given a private API's VPC endpoint URL in a Region other than botocore's default (us-east-1)
    endpoint = "https://a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.eu-west-3.vpce.amazonaws.com/prod"

    # when a client is made without a signing Region, then it signs for the API's Region
    assert ListImagesClient(endpoint).signing_region == "eu-west-3"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_is_reported_and_not_followed(status: int) -> None:
    # given an endpoint that redirects to another server, which would see the signed headers if followed
    with raw_server(b'HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{"images": []}') as elsewhere:
        location = f"{elsewhere.base_url}/prod/images/custom?imageStatus=AVAILABLE"
        redirect = f"HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
        with raw_server(redirect.encode()) as redirecting:
            client = ListImagesClient(
                redirecting.base_url + "/prod", signing_region="us-east-1", credentials=FAKE_CREDENTIALS
            )

            # when the client calls it
            with pytest.raises(ListImagesRedirectError) as raised:
                client.list_images_page("AVAILABLE")

        # then the error names the status and the Location, and nothing at all reached the other server
        assert (raised.value.status, raised.value.location) == (status, location)
        assert f"HTTP {status}" in raised.value.message
        assert location in raised.value.message
        assert len(redirecting.requests) == 1
        assert elsewhere.requests == []


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "BadStatusLine"),
        (b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"images"', "IncompleteRead"),
    ],
)
def test_broken_http_answers_are_connection_errors(answer: bytes, kind: str) -> None:
    # given a server that does not speak HTTP, or cuts its answer short
    with raw_server(answer) as broken:
        client = ListImagesClient(
            broken.base_url + "/prod", signing_region="us-east-1", credentials=FAKE_CREDENTIALS
        )

        # when the client calls it, then the failure is typed and says what was wrong
        with pytest.raises(ListImagesConnectionError, match="complete HTTP response") as raised:
            client.list_images_page("AVAILABLE")
    assert kind in raised.value.message


def test_silent_endpoint_times_out_with_a_clear_error() -> None:
    # given a server that accepts the request and never answers
    with raw_server(None) as silent:
        client = ListImagesClient(
            silent.base_url + "/prod", signing_region="us-east-1", credentials=FAKE_CREDENTIALS, timeout=0.3
        )
        outcome: list[BaseException] = []

        def call() -> None:
            try:
                client.list_images_page("AVAILABLE")
            except BaseException as error:  # handed to the test thread
                outcome.append(error)

        # when the client calls it (in a thread, so a missing timeout fails this test instead of hanging it)
        caller = threading.Thread(target=call, daemon=True)
        caller.start()
        caller.join(timeout=30)

    # then the call gave up with a timeout error that names the URL and the timeout
    assert not caller.is_alive(), "the client did not give up"
    assert len(outcome) == 1
    assert isinstance(outcome[0], ListImagesTimeoutError)
    assert str(outcome[0]) == f"no answer from {silent.base_url}/prod/images/custom within the 0.3 s timeout"


def test_walk_stops_when_the_endpoint_repeats_a_token(fake_endpoint: FakeEndpoint) -> None:
    # given pages whose tokens cycle: (start) -> a -> b -> a -> ...
    for token, following in ((None, "a"), ("a", "b"), ("b", "a")):
        query = {"imageStatus": "FAILED", **({"nextToken": token} if token else {})}
        fake_endpoint.answer(STAGE_MOUNT, query, CannedResponse(200, {"images": [], "nextToken": following}))
    pages = stage_client(fake_endpoint).iter_pages("FAILED")

    # when walking (bounded here so that a client without the check fails instead of looping)
    with pytest.raises(ListImagesPaginationError) as raised:
        for _ in islice(pages, 20):
            pass

    # then it stops at the first repeated token and says after how many pages
    assert "already followed" in raised.value.message
    assert "after 3 page(s)" in raised.value.message
    assert raised.value.pages_fetched == 3
    assert raised.value.resume_next_token is None  # resuming from a looping token would loop again
    assert len(fake_endpoint.received) == 3


def test_walk_stops_when_a_page_points_back_at_the_starting_token(fake_endpoint: FakeEndpoint) -> None:
    # given a page whose nextToken is the token that fetched it
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "FAILED", "nextToken": "same"},
        CannedResponse(200, {"images": [image("image-a")], "nextToken": "same"}),
    )
    images = stage_client(fake_endpoint).iter_images("FAILED", next_token="same")

    # when walking from that token, then the walk stops after the one page
    with pytest.raises(ListImagesPaginationError, match="after 1 page"):
        for _ in islice(images, 20):
            pass
    assert len(fake_endpoint.received) == 1


def test_failed_walk_tells_the_token_to_resume_from(fake_endpoint: FakeEndpoint) -> None:
    # given the third page of a walk is throttled
    for token, following in ((None, "t1"), ("t1", "t2")):
        query = {"imageStatus": "FAILED", **({"nextToken": token} if token else {})}
        fake_endpoint.answer(
            STAGE_MOUNT,
            query,
            CannedResponse(200, {"images": [image(f"after-{token}")], "nextToken": following}),
        )
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "FAILED", "nextToken": "t2"},
        CannedResponse(429, {"message": "Too many requests to AWS"}, {"Retry-After": "1"}),
    )

    # when every image is listed
    with pytest.raises(ListImagesThrottledError) as raised:
        list(stage_client(fake_endpoint).iter_images("FAILED"))

    # then the error says which token fetches the failed page, and how many pages came before it
    assert (raised.value.resume_next_token, raised.value.pages_fetched) == ("t2", 2)


def test_failed_first_page_has_no_token_to_resume_from(fake_endpoint: FakeEndpoint) -> None:
    # given the first page fails
    fake_endpoint.answer(STAGE_MOUNT, {"imageStatus": "FAILED"}, CannedResponse(500, {"message": "boom"}))

    # when walking, then there is nothing to resume from: start again
    with pytest.raises(ListImagesApiError) as raised:
        list(stage_client(fake_endpoint).iter_pages("FAILED"))
    assert (raised.value.resume_next_token, raised.value.pages_fetched) == (None, 0)


NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7),
        (" 0 ", 0),
        ("Sat, 28 Nov 2026 12:01:30 GMT", 90),
        ("Sat, 28 Nov 2026 12:00:00 GMT", 0),
        ("Sat, 28 Nov 2026 11:59:00 GMT", 0),  # already past: no wait
        ("Saturday, 28-Nov-26 12:00:10 GMT", 10),  # obsolete RFC 850 form, still allowed by RFC 9110
        ("-3", None),
        ("soon", None),
        ("", None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(value: str, seconds: int | None) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds


def test_throttling_with_an_http_date_retry_after(fake_endpoint: FakeEndpoint) -> None:
    # given a 429 whose Retry-After is an HTTP date (a proxy's form) already in the past
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "PENDING"},
        CannedResponse(429, {"message": "Too many requests"}, {"Retry-After": past}),
        documented=False,
    )

    # when the client calls it, then the advised wait is read from the date: none left
    with pytest.raises(ListImagesThrottledError) as raised:
        stage_client(fake_endpoint).list_images_page("PENDING")
    assert raised.value.retry_after == 0


API_URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"
CUSTOM_DOMAIN_URL = "https://images.example.com/prod"


@pytest.mark.parametrize(
    ("endpoint", "config_text", "profile", "error_type", "complaint"),
    [
        (
            API_URL,
            "",
            "missing",
            ListImagesCredentialsError,
            "The config profile (missing) could not be found",
        ),
        (CUSTOM_DOMAIN_URL, "", "missing", ListImagesConfigurationError, "(missing) could not be found"),
        (
            API_URL,
            f"[default\naws_secret_access_key = {LEAKED_SECRET}\n",
            None,
            ListImagesCredentialsError,
            "Unable to parse config file",
        ),
        (
            CUSTOM_DOMAIN_URL,
            f"[default\naws_secret_access_key = {LEAKED_SECRET}\n",
            None,
            ListImagesConfigurationError,
            "Unable to parse config file",
        ),
        (
            API_URL,
            "[default]\ncredential_process = {process}\n",
            None,
            ListImagesCredentialsError,
            "Unsupported version",
        ),
        (API_URL, "", None, ListImagesCredentialsError, "no AWS credentials found"),
    ],
)
def test_botocore_configuration_failures_are_typed_client_errors(
    no_ambient_aws: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    endpoint: str,
    config_text: str,
    profile: str | None,
    error_type: type[ListImagesClientError],
    complaint: str,
) -> None:
    # given a broken AWS configuration (missing profile, unparsable file, failing credential process, nothing)
    no_ambient_aws.write_text(config_text.format(process=failing_credential_process(tmp_path)))
    if profile:
        monkeypatch.setenv("AWS_PROFILE", profile)

    # when a client is made with botocore's chain
    with pytest.raises(error_type) as raised:
        ListImagesClient(endpoint, botocore_session=botocore.session.Session())

    # then the error is typed, says what is wrong, and holds no secret
    assert complaint in raised.value.message
    assert LEAKED_SECRET not in raised.value.message
    assert raised.value.__cause__ is None


@pytest.mark.parametrize("timeout", [0, -1.5, float("nan"), float("inf")])
def test_unusable_timeout_is_refused(timeout: float) -> None:
    # when a client is made with a timeout that is not a positive number of seconds, then it is refused
    with pytest.raises(ListImagesConfigurationError) as raised:
        ListImagesClient(API_URL, credentials=FAKE_CREDENTIALS, timeout=timeout)
    assert raised.value.message == f"timeout must be a positive number of seconds, got {timeout!r}"


def test_local_targets_make_local_and_ignores_the_ambient_credentials(no_ambient_aws: Path) -> None:
    # given no AWS credentials or Region anywhere (the emulator's key needs none)

    # when
    client = ListImagesClient.local()

    # then it calls what `make local` serves, signed for its Region with its fake key and no session token
    assert client.url == LOCAL_ENDPOINT_URL + "/images/custom"
    assert client.signing_region == "us-east-1"
    headers = sigv4_headers(client.url, credentials=client._credentials, signing_region="us-east-1")
    assert "Credential=testing/" in headers["Authorization"]
    assert "X-Amz-Security-Token" not in headers


def test_local_takes_another_port_region_path_and_timeout() -> None:
    # when `make local` runs elsewhere (ARGS="--port 9000 --region eu-west-1")
    client = ListImagesClient.local(
        "http://127.0.0.1:9000/prod", signing_region="eu-west-1", path=LIST_IMAGES_V3_PATH, timeout=5
    )

    # then
    assert (client.url, client.signing_region, client._timeout) == (
        "http://127.0.0.1:9000/prod/v3/images/custom",
        "eu-west-1",
        5,
    )


def test_wrong_stage_answer_carries_a_hint(fake_endpoint: FakeEndpoint) -> None:
    # given a URL with a stage the API does not have
    client = ListImagesClient(fake_endpoint.base_url + "/production", signing_region=STAGE_REGION)

    # when, then API Gateway's own answer comes back as is, with a hint at the likely cause
    with pytest.raises(ListImagesApiError) as raised:
        client.list_images_page("AVAILABLE")
    assert (raised.value.status, raised.value.message) == (403, "Missing Authentication Token")
    assert raised.value.hint == (
        "API Gateway answers this for a URL it does not serve: check the endpoint's stage (or a custom "
        f"domain's base path) in {fake_endpoint.base_url}/production/images/custom"
    )
    assert str(raised.value) == f"HTTP 403: Missing Authentication Token ({raised.value.hint})"


def test_other_403_answers_carry_no_hint(fake_endpoint: FakeEndpoint) -> None:
    # given a 403 that is about the signature, not the URL
    client = ListImagesClient(fake_endpoint.base_url + STAGE_MOUNT, signing_region="eu-west-1")

    # when, then
    with pytest.raises(ListImagesApiError) as raised:
        client.list_images_page("AVAILABLE")
    assert raised.value.status == 403
    assert raised.value.hint is None
