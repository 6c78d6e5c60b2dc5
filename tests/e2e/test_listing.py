"""Listing over real HTTP: every status, both paths, both Regions, full pagination walks, decoys."""

from __future__ import annotations

import json

import pytest

from local import LocalEndpoint
from tests.e2e.support import E2E_PAGE_SIZE, ROUTES, signed_get, walk

STATUSES = ("AVAILABLE", "PENDING", "FAILED")
SEEDED_REGIONS = ("us-east-1", "eu-west-1")


def _by_image_id(images: list[dict[str, object]]) -> list[dict[str, object]]:
    return sorted(images, key=lambda image: str(image["imageId"]))


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("region", SEEDED_REGIONS)
@pytest.mark.parametrize("status", STATUSES)
def test_a_full_walk_returns_exactly_the_seeded_images(
    local_endpoint: LocalEndpoint, status: str, region: str, path: str
) -> None:
    # given: the sample images planted in moto for this status and Region
    assert local_endpoint.catalog is not None
    expected = local_endpoint.catalog.expected(status, region)
    assert expected, "the sample data must hold images for every status and Region"

    # when: a signed client follows nextToken to the end
    pages = walk(local_endpoint, path, imageStatus=status, region=region)

    # then: every page is a 200, full except the last, with nextToken exactly when more follow
    assert [page.status for page in pages] == [200] * len(pages)
    assert all(page.header("Content-Type") == "application/json" for page in pages)
    assert [len(page.body["images"]) for page in pages[:-1]] == [E2E_PAGE_SIZE] * (len(pages) - 1)
    assert 0 < len(pages[-1].body["images"]) <= E2E_PAGE_SIZE
    assert "nextToken" not in pages[-1].body
    # and: together they hold each seeded image exactly once, field for field
    listed = [image for page in pages for image in page.body["images"]]
    assert len({image["imageId"] for image in listed}) == len(listed)
    assert _by_image_id(listed) == _by_image_id([dict(entry) for entry in expected])


def test_pagination_shows_with_the_sample_data(local_endpoint: LocalEndpoint) -> None:
    # given/when: the largest sample listing is walked
    pages = walk(local_endpoint, "/images/custom", imageStatus="AVAILABLE", region="us-east-1")

    # then: it takes several pages (what `make local` demonstrates)
    assert len(pages) >= 3


@pytest.mark.parametrize("status", STATUSES)
def test_no_listing_returns_a_decoy(local_endpoint: LocalEndpoint, status: str) -> None:
    # given: decoy AMIs and stacks (wrong tag value or case, no image id, no version, finished stacks...)
    catalog = local_endpoint.catalog
    assert catalog is not None

    # when: every Region's listing of this status is walked
    listed = [
        image
        for region in SEEDED_REGIONS
        for page in walk(local_endpoint, "/images/custom", imageStatus=status, region=region)
        for image in page.body["images"]
    ]

    # then: no decoy appears, by name, AMI id or stack ARN
    text = json.dumps(listed)
    assert "decoy" not in text
    assert "9-starts-with-a-digit" not in text
    assert not [ami_id for ami_id in catalog.decoy_ami_ids if ami_id in text]
    assert not [stack_arn for stack_arn in catalog.decoy_stack_arns if stack_arn in text]


def test_without_region_the_function_home_region_is_listed(local_endpoint: LocalEndpoint) -> None:
    # given: the endpoint's home Region holds PENDING images
    assert local_endpoint.catalog is not None
    expected = local_endpoint.catalog.expected("PENDING", local_endpoint.region)

    # when: PENDING is listed without a region parameter
    pages = walk(local_endpoint, "/images/custom", imageStatus="PENDING")

    # then: the home Region's images come back
    listed = [image for page in pages for image in page.body["images"]]
    assert _by_image_id(listed) == _by_image_id([dict(entry) for entry in expected])


def test_a_json_body_on_get_is_honoured_like_the_reference_page_shows(local_endpoint: LocalEndpoint) -> None:
    # given: the inputs as a JSON body (the reference page's form), signed with the body
    body = json.dumps({"imageStatus": "FAILED", "region": "eu-west-1"}).encode()

    # when: it is sent without a query string
    answer = signed_get(local_endpoint, "/images/custom", body)

    # then: the same first page as the query-string form
    assert answer.status == 200
    assert (
        answer.body
        == signed_get(local_endpoint, "/images/custom", imageStatus="FAILED", region="eu-west-1").body
    )


def test_both_paths_answer_the_same_pages(local_endpoint: LocalEndpoint) -> None:
    # given/when: the same listing through both routes
    legacy = walk(local_endpoint, "/images/custom", imageStatus="FAILED", region="us-east-1")
    versioned = walk(local_endpoint, "/v3/images/custom", imageStatus="FAILED", region="us-east-1")

    # then: identical pages, tokens included (a token from one path works on the other)
    assert [page.body for page in legacy] == [page.body for page in versioned]
    second_page = signed_get(
        local_endpoint,
        "/v3/images/custom",
        imageStatus="FAILED",
        region="us-east-1",
        nextToken=legacy[0].body["nextToken"],
    )
    assert second_page.body == legacy[1].body
