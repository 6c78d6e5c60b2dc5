"""The Python client and the list-images CLI against the local endpoint (gateway, SigV4, handler, moto)."""

from __future__ import annotations

import json

import pytest
from botocore.credentials import Credentials

from client import cli
from client.api_client import (
    LIST_IMAGES_V3_PATH,
    ListImagesApiError,
    ListImagesClient,
    ListImagesThrottledError,
)
from local import LocalEndpoint
from tests.e2e.support import THROTTLED_REGION


def local_client(endpoint: LocalEndpoint, path: str = "/images/custom") -> ListImagesClient:
    """A client signing with the local endpoint's key pair for its Region."""
    credentials = Credentials(endpoint.credentials.access_key, endpoint.credentials.secret_key)
    return ListImagesClient(
        endpoint.base_url, signing_region=endpoint.region, credentials=credentials, path=path
    )


@pytest.mark.parametrize("status", ["AVAILABLE", "PENDING", "FAILED"])
@pytest.mark.parametrize("path", ["/images/custom", LIST_IMAGES_V3_PATH])
def test_client_walks_every_page_to_the_seeded_images(
    local_endpoint: LocalEndpoint, status: str, path: str
) -> None:
    # given the seeded catalog (spanning several pages of 5)
    assert local_endpoint.catalog is not None
    region = local_endpoint.catalog.regions[-1]

    # when the client follows every nextToken
    images = list(local_client(local_endpoint, path).iter_images(status, region=region))

    # then it gets exactly the seeded images of that status and Region
    expected = local_endpoint.catalog.expected(status, region)
    assert sorted(image["imageId"] for image in images) == sorted(str(image["imageId"]) for image in expected)


def test_client_surfaces_throttling_with_retry_after(local_endpoint: LocalEndpoint) -> None:
    # when AWS throttles every call for the Region, then the typed 429 carries the advised delay
    with pytest.raises(ListImagesThrottledError) as raised:
        local_client(local_endpoint).list_images_page("FAILED", region=THROTTLED_REGION)
    assert raised.value.retry_after is not None
    assert raised.value.retry_after >= 0


def test_client_reports_bad_input(local_endpoint: LocalEndpoint) -> None:
    with pytest.raises(ListImagesApiError) as raised:
        local_client(local_endpoint).list_images_page("AVAILABLE", region="nowhere-1")
    assert (raised.value.status, raised.value.message) == (
        400,
        "Bad Request: invalid or unsupported region 'nowhere-1'",
    )


def test_cli_all_prints_every_image(
    local_endpoint: LocalEndpoint, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the CLI signs with the ambient chain, which holds the local key pair
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", local_endpoint.credentials.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", local_endpoint.credentials.secret_key)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    assert local_endpoint.catalog is not None

    # when
    status = cli.main(
        [
            "--image-status",
            "PENDING",
            "--all",
            "--endpoint",
            local_endpoint.base_url,
            "--endpoint-region",
            local_endpoint.region,
        ]
    )

    # then every PENDING image of the API's Region is printed, with no nextToken
    printed = json.loads(capsys.readouterr().out)
    assert status == 0
    assert set(printed) == {"images"}
    expected = local_endpoint.catalog.expected("PENDING", local_endpoint.region)
    assert sorted(image["imageId"] for image in printed["images"]) == sorted(
        str(image["imageId"]) for image in expected
    )


def test_local_constructor_signs_with_the_emulator_key(local_endpoint: LocalEndpoint) -> None:
    # given the local endpoint (tests/client proves ListImagesClient.local() signs with the fixed fake key,
    # whatever the ambient credentials; this proves that key is the one the emulator accepts)
    assert local_endpoint.catalog is not None

    # when the client made for `make local` lists images
    images = list(ListImagesClient.local(local_endpoint.base_url).iter_images("AVAILABLE"))

    # then it gets every AVAILABLE image of the home Region
    expected = local_endpoint.catalog.expected("AVAILABLE", local_endpoint.region)
    assert sorted(image["imageId"] for image in images) == sorted(str(image["imageId"]) for image in expected)


def test_wrong_stage_is_api_gateways_403_with_a_hint(local_endpoint: LocalEndpoint) -> None:
    # given the URL of a stage the API does not have
    wrong_stage = local_endpoint.base_url.removesuffix("/prod") + "/dev"

    # when, then the local gateway answers as API Gateway does, and the client adds where to look
    with pytest.raises(ListImagesApiError) as raised:
        ListImagesClient.local(wrong_stage).list_images_page("AVAILABLE")
    assert (raised.value.status, raised.value.message) == (403, "Missing Authentication Token")
    assert raised.value.hint is not None
    assert f"check the endpoint's stage (or a custom domain's base path) in {wrong_stage}/" in (
        raised.value.hint
    )
