"""ListImagesClient against a fake endpoint that verifies every SigV4 signature."""

from __future__ import annotations

import socket
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
    ListImagesThrottledError,
    signing_region_from_url,
)
from tests.client.conftest import (
    CUSTOM_DOMAIN_MOUNT,
    CUSTOM_DOMAIN_REGION,
    EXPLICIT_ACCESS_KEY,
    EXPLICIT_SECRET_KEY,
    STAGE_MOUNT,
    STAGE_REGION,
)
from tests.client.fake_endpoint import CannedResponse, FakeEndpoint, ReceivedRequest
from tests.client.samples import AVAILABLE_IMAGE


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
    with pytest.raises(ListImagesClientError, match="Region to sign"):
        ListImagesClient("https://images.example.com", botocore_session=botocore.session.Session())


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

    # when a client is made, then it says there is nothing to sign with
    with pytest.raises(ListImagesClientError, match="no AWS credentials"):
        ListImagesClient(
            "http://127.0.0.1:8080/prod",
            signing_region="us-east-1",
            botocore_session=botocore.session.Session(),
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
