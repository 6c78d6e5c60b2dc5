"""Pages (contract §4), proven with botocore's Stubber on real clients (moto ignores DescribeImages
MaxResults) and with the in-memory fake for whole walks: pages fill across AWS pages, a page can end
inside an AWS page, every token leads on without loss or repetition, and tokens are bound to their
status and Region."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import Stubber
from listimages.images import list_images
from listimages.tokens import Cursor, encode_token

from tests.runtime.support import (
    ACCOUNT_ID,
    EXPECTED_EC2_FILTERS,
    FakeAws,
    ami,
    ids_of,
    interpreter_recursion_limit,
    invoke,
    stack,
    stack_arn,
    v1_event,
    v2_event,
    walk,
)

Stub = Callable[[str, str], Stubber]


def _describe_images_params(max_results: int, token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"Owners": ["self"], "Filters": EXPECTED_EC2_FILTERS, "MaxResults": max_results}
    if token is not None:
        params["NextToken"] = token
    return params


def _amis(prefix: str, count: int) -> list[dict[str, Any]]:
    return [ami(f"ami-{prefix}{index:015d}", f"image-{prefix}{index}") for index in range(count)]


def test_available_page_fills_across_aws_pages_and_resumes_mid_page(stubbed: Stub) -> None:
    # Given EC2 returning three pages of 3, 4 and 3 images (EC2 may return fewer than MaxResults)
    first, second, third = _amis("a", 3), _amis("b", 4), _amis("c", 3)
    ec2 = stubbed("ec2", "us-east-1")
    ec2.add_response("describe_images", {"Images": first, "NextToken": "t1"}, _describe_images_params(5))
    ec2.add_response(
        "describe_images", {"Images": second, "NextToken": "t2"}, _describe_images_params(5, "t1")
    )
    # the second request re-reads the AWS page it stopped in, then reads on
    ec2.add_response(
        "describe_images", {"Images": second, "NextToken": "t2"}, _describe_images_params(5, "t1")
    )
    ec2.add_response("describe_images", {"Images": third}, _describe_images_params(5, "t2"))

    # When pages of five are listed
    page_one = list_images("AVAILABLE", page_size=5)
    page_two = list_images("AVAILABLE", next_token=page_one["next_token"], page_size=5)

    # Then the first page takes all of AWS page 1 and part of page 2, the second page the rest
    all_ids = [image["ImageId"] for image in first + second + third]
    assert ids_of([page_one]) == all_ids[:5]
    assert ids_of([page_two]) == all_ids[5:]
    assert "next_token" not in page_two


def test_builds_page_skips_non_matching_stacks_and_resumes_inside_the_aws_page(stubbed: Stub) -> None:
    # Given CloudFormation pages with nested, cluster and other-status stacks between the builds
    page_a = [
        stack("build-1", "CREATE_FAILED", "image-1"),
        stack("nested", "CREATE_FAILED", "image-nested", parent_id="arn:aws:cloudformation:parent"),
        stack("cluster", "CREATE_FAILED", None),
        stack("finished", "CREATE_COMPLETE", "image-done"),
        stack("build-2", "ROLLBACK_COMPLETE", "image-2"),
        stack("build-3", "DELETE_FAILED", "image-3"),
    ]
    page_b = [stack("build-4", "ROLLBACK_IN_PROGRESS", "image-4")]
    cfn = stubbed("cloudformation", "us-east-1")
    cfn.add_response("describe_stacks", {"Stacks": page_a, "NextToken": "cA"}, {})
    cfn.add_response("describe_stacks", {"Stacks": page_a, "NextToken": "cA"}, {})
    cfn.add_response("describe_stacks", {"Stacks": page_b}, {"NextToken": "cA"})

    # When pages of two are listed
    page_one = list_images("FAILED", page_size=2)
    page_two = list_images("FAILED", next_token=page_one["next_token"], page_size=2)

    # Then build-3 (inside the first AWS page) starts the second page; decoys never appear
    assert [i["image_id"] for i in page_one["images"]] == ["image-1", "image-2"]
    assert [i["image_id"] for i in page_two["images"]] == ["image-3", "image-4"]
    assert "next_token" not in page_two


def test_a_page_that_fills_at_the_end_of_an_aws_page_resumes_at_the_next_one(stubbed: Stub) -> None:
    # Given an AWS page of exactly the page size, followed by another page
    first, second = _amis("d", 5), _amis("e", 2)
    ec2 = stubbed("ec2", "us-east-1")
    ec2.add_response("describe_images", {"Images": first, "NextToken": "t1"}, _describe_images_params(5))
    ec2.add_response("describe_images", {"Images": second}, _describe_images_params(5, "t1"))

    # When two pages of five are listed
    page_one = list_images("AVAILABLE", page_size=5)
    page_two = list_images("AVAILABLE", next_token=page_one["next_token"], page_size=5)

    # Then each AWS page is read once: one call per response
    assert ids_of([page_one, page_two]) == [image["ImageId"] for image in first + second]
    assert "next_token" not in page_two


def test_a_full_last_page_has_no_token_when_nothing_follows(stubbed: Stub) -> None:
    # Given one AWS page whose remaining stacks match nothing
    stacks = [stack("build-1", "CREATE_IN_PROGRESS", "image-1"), stack("done", "CREATE_COMPLETE", "image-2")]
    stubbed("cloudformation", "us-east-1").add_response("describe_stacks", {"Stacks": stacks}, {})

    # When a page of one is listed
    page = list_images("PENDING", page_size=1)

    # Then the page is complete and there is no token (no empty page follows)
    assert [i["image_id"] for i in page["images"]] == ["image-1"]
    assert "next_token" not in page


@pytest.mark.parametrize(("page_size", "max_results"), [(1, 5), (5, 5), (6, 6), (1000, 1000)])
def test_ec2_max_results_is_the_page_size_within_ec2_limits(
    stubbed: Stub, page_size: int, max_results: int
) -> None:
    stubbed("ec2", "us-east-1").add_response(
        "describe_images", {"Images": []}, _describe_images_params(max_results)
    )

    assert list_images("AVAILABLE", page_size=page_size) == {"images": []}


def test_page_size_comes_from_the_configuration(fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a deployment configured for pages of three
    monkeypatch.setenv("LIST_IMAGES_PAGE_SIZE", "3")
    fake_aws.stacks = [stack(f"build-{n}", "CREATE_IN_PROGRESS", f"image-{n}") for n in range(7)]

    # When the handler is walked
    pages = walk(lambda token: invoke(v1_event({"imageStatus": "PENDING", "nextToken": token or ""})).body)

    # Then the pages hold three, three and one
    assert [len(page["images"]) for page in pages] == [3, 3, 1]


def test_default_page_size_is_1000(fake_aws: FakeAws) -> None:
    fake_aws.amis = _amis("f", 1001)

    page = list_images("AVAILABLE")

    assert len(page["images"]) == 1000
    assert fake_aws.calls[0][2]["MaxResults"] == 1000


@pytest.mark.parametrize("value", ["0", "1001", "ten", "-5"])
def test_bad_page_size_configuration_is_a_500(
    fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("LIST_IMAGES_PAGE_SIZE", value)

    answer = invoke(v1_event({"imageStatus": "AVAILABLE"}))

    assert answer.status == 500
    assert fake_aws.calls == []


def _decoy_mix(count: int) -> list[dict[str, Any]]:
    # Builds interleaved with stacks that must be skipped, so AWS pages and our pages never line up.
    stacks = []
    for n in range(count):
        stacks.append(stack(f"build-{n}", "CREATE_FAILED", f"image-{n}"))
        if n % 3 == 0:
            stacks.append(stack(f"cluster-{n}", "CREATE_FAILED", None))
        if n % 4 == 1:
            stacks.append(stack(f"done-{n}", "UPDATE_COMPLETE", f"done-{n}"))
        if n % 5 == 2:
            stacks.append(stack(f"nested-{n}", "CREATE_FAILED", f"nested-{n}", parent_id="arn:parent"))
    return stacks


@pytest.mark.parametrize("page_size", [1, 2, 3, 7, 10, 1000])
@pytest.mark.parametrize("aws_page_size", [1, 4, 100])
def test_walking_every_token_returns_each_build_exactly_once(
    fake_aws: FakeAws, page_size: int, aws_page_size: int
) -> None:
    # Given 40 builds among decoys, served in AWS pages of various sizes
    fake_aws.stacks, fake_aws.stack_page_size = _decoy_mix(40), aws_page_size

    # When every token is followed
    pages = walk(lambda token: list_images("FAILED", next_token=token, page_size=page_size))

    # Then each build appears once, in AWS order; every page but the last is full; none is empty with a token
    expected = [s["StackId"] for s in fake_aws.stacks if s["StackName"].startswith("build-")]
    assert ids_of(pages) == expected
    assert all(len(page["images"]) == page_size for page in pages[:-1])
    assert all(page["images"] for page in pages if "next_token" in page)


@pytest.mark.parametrize("page_size", [1, 5, 6, 13, 1000])
def test_walking_available_returns_each_ami_exactly_once(fake_aws: FakeAws, page_size: int) -> None:
    fake_aws.amis = _amis("g", 37)

    pages = walk(lambda token: list_images("AVAILABLE", next_token=token, page_size=page_size))

    assert ids_of(pages) == [image["ImageId"] for image in fake_aws.amis]
    assert all(page["images"] for page in pages if "next_token" in page)


@pytest.mark.parametrize("make_event", [v1_event, v2_event])
def test_handler_walk_uses_camel_case_tokens(
    fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch, make_event: Callable[..., dict[str, Any]]
) -> None:
    monkeypatch.setenv("LIST_IMAGES_PAGE_SIZE", "2")
    fake_aws.amis = _amis("h", 5)

    def page(token: str | None) -> dict[str, Any]:
        query = {"imageStatus": "AVAILABLE", **({"nextToken": token} if token else {})}
        answer = invoke(make_event(query))
        assert answer.status == 200
        return dict(answer.body)

    pages = walk(page)

    assert ids_of(pages) == [image["ImageId"] for image in fake_aws.amis]
    assert "next_token" not in json.dumps(pages)


def _first_token(fake_aws: FakeAws, image_status: str, region: str = "us-east-1") -> str:
    fake_aws.amis = _amis("i", 3)
    fake_aws.stacks = [
        stack(f"b{n}", status, f"image-{n}")
        for n, status in enumerate(["CREATE_IN_PROGRESS", "CREATE_FAILED"] * 3)
    ]
    answer = invoke(v1_event({"imageStatus": image_status, "region": region}))
    return str(answer.body["nextToken"])


@pytest.mark.parametrize(
    ("issued_for", "used_with"),
    [
        (("PENDING", "us-east-1"), ("FAILED", "us-east-1")),
        (("FAILED", "us-east-1"), ("AVAILABLE", "us-east-1")),
        (("AVAILABLE", "us-east-1"), ("AVAILABLE", "eu-west-1")),
        (("PENDING", "eu-west-1"), ("PENDING", "us-east-1")),
    ],
)
def test_a_token_is_bound_to_its_status_and_region(
    fake_aws: FakeAws,
    monkeypatch: pytest.MonkeyPatch,
    issued_for: tuple[str, str],
    used_with: tuple[str, str],
) -> None:
    # Given a real token issued for one status and Region
    monkeypatch.setenv("LIST_IMAGES_PAGE_SIZE", "1")
    token = _first_token(fake_aws, *issued_for)
    calls_before = len(fake_aws.calls)

    # When it is used with another status or Region
    answer = invoke(v1_event({"imageStatus": used_with[0], "region": used_with[1], "nextToken": token}))

    # Then it is a 400 and AWS is not called
    assert (answer.status, answer.body) == (400, {"message": "Bad Request: invalid nextToken"})
    assert len(fake_aws.calls) == calls_before


def test_a_tampered_token_is_a_400(fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIST_IMAGES_PAGE_SIZE", "1")
    token = _first_token(fake_aws, "PENDING")
    tampered = [token[:-1], token + "A", token[:10] + ("B" if token[10] != "B" else "C") + token[11:]]

    answers = [invoke(v1_event({"imageStatus": "PENDING", "nextToken": bad})) for bad in tampered]

    assert [(a.status, a.body["message"]) for a in answers] == [(400, "Bad Request: invalid nextToken")] * 3


@pytest.mark.parametrize(
    "foreign",
    [
        "eyJ2IjogMX0",  # base64 of some other JSON
        "AAEAAdGVzdA==",  # an AWS-style continuation token
        "page-at-1",  # the raw AWS token our fake hands out
        "null",
    ],
)
def test_a_foreign_token_is_a_400(fake_aws: FakeAws, foreign: str) -> None:
    answer = invoke(v1_event({"imageStatus": "PENDING", "nextToken": foreign}))

    assert (answer.status, answer.body) == (400, {"message": "Bad Request: invalid nextToken"})
    assert fake_aws.calls == []


@pytest.mark.parametrize(
    ("service", "operation", "code", "message"),
    [
        ("ec2", "describe_images", "InvalidPaginationToken", "The pagination token is invalid"),
        ("ec2", "describe_images", "InvalidParameterValue", "Invalid value for NextToken"),
        ("cloudformation", "describe_stacks", "ValidationError", "Invalid NextToken"),
    ],
)
def test_a_continuation_token_aws_rejects_is_a_400(
    stubbed: Stub, service: str, operation: str, code: str, message: str
) -> None:
    # Given a well-formed token whose AWS continuation token was edited (there is no secret to prevent it)
    status = "AVAILABLE" if service == "ec2" else "FAILED"
    token = encode_token(status, "us-east-1", Cursor(aws_token="edited-aws-token", max_results=5))
    stubbed(service, "us-east-1").add_client_error(operation, code, message, 400)

    # When it is used
    answer = invoke(v1_event({"imageStatus": status, "nextToken": token}))

    # Then AWS's refusal is reported as an invalid token, not a server error
    assert (answer.status, answer.body) == (400, {"message": "Bad Request: invalid nextToken"})


def test_a_validation_error_without_a_token_is_a_500(stubbed: Stub) -> None:
    stubbed("cloudformation", "us-east-1").add_client_error(
        "describe_stacks", "ValidationError", "Token bad", 400
    )

    answer = invoke(v1_event({"imageStatus": "FAILED"}))

    assert answer.status == 500


# --- Resuming when the AWS page changed between two requests ---------------------------------------------


def _twelve_resources(fake_aws: FakeAws, image_status: str) -> tuple[list[dict[str, Any]], str]:
    """Twelve matching resources served in AWS pages of five; returns them and the key of their id."""
    if image_status == "AVAILABLE":
        fake_aws.amis = _amis("r", 12)  # pages of four → MaxResults 5
        return fake_aws.amis, "ImageId"
    fake_aws.stacks = [stack(f"build-{n}", "CREATE_IN_PROGRESS", f"image-{n}") for n in range(12)]
    fake_aws.stack_page_size = 5
    return fake_aws.stacks, "StackId"


def _new_resource(image_status: str) -> dict[str, Any]:
    if image_status == "AVAILABLE":
        return ami("ami-0000000000000new0", "image-new")
    return stack("build-new", "CREATE_IN_PROGRESS", "image-new")


def _two_pages_of_four(image_status: str) -> list[dict[str, Any]]:
    first = list_images(image_status, page_size=4)
    return [first, list_images(image_status, next_token=first["next_token"], page_size=4)]


def _the_rest(image_status: str, token: str) -> list[dict[str, Any]]:
    return walk(lambda next_token: list_images(image_status, next_token=next_token, page_size=4), token)


@pytest.mark.parametrize("image_status", ["AVAILABLE", "PENDING"])
@pytest.mark.parametrize("deleted", [5, 6], ids=["first-of-the-aws-page", "just-before-the-last-returned"])
def test_a_resource_deleted_before_the_resume_point_skips_nothing(
    fake_aws: FakeAws, image_status: str, deleted: int
) -> None:
    # Given two pages of four read: the second ends inside the second AWS page (resources 5..9), after 7
    resources, id_key = _twelve_resources(fake_aws, image_status)
    expected = [resource[id_key] for resource in resources]
    pages = _two_pages_of_four(image_status)
    assert ids_of(pages) == expected[:8]

    # When an already returned resource of that AWS page disappears (a finished build deletes its stack)
    del resources[deleted]

    # Then the walk goes on right after resource 7: every remaining image once, none skipped
    rest = _the_rest(image_status, pages[-1]["next_token"])
    assert ids_of(rest) == expected[8:]


@pytest.mark.parametrize("image_status", ["AVAILABLE", "PENDING"])
def test_a_resource_created_before_the_resume_point_repeats_nothing(
    fake_aws: FakeAws, image_status: str
) -> None:
    # Given two pages of four read, the second ending after resource 7, inside the AWS page of 5..9
    resources, id_key = _twelve_resources(fake_aws, image_status)
    expected = [resource[id_key] for resource in resources]
    pages = _two_pages_of_four(image_status)

    # When a resource appears in that AWS page before the resume point (between resources 5 and 6)
    resources.insert(6, _new_resource(image_status))

    # Then resource 7 is not listed again: the walk goes on at 8 (the new one lies behind the walk)
    rest = _the_rest(image_status, pages[-1]["next_token"])
    assert ids_of(pages + rest) == expected


@pytest.mark.parametrize("image_status", ["AVAILABLE", "PENDING"])
def test_when_the_last_returned_resource_is_gone_the_walk_goes_on_right_after_it(
    fake_aws: FakeAws, image_status: str
) -> None:
    # Given two pages of four read, the second ending after resource 7 (position 3 of the AWS page of 5..9)
    resources, id_key = _twelve_resources(fake_aws, image_status)
    expected = [resource[id_key] for resource in resources]
    pages = _two_pages_of_four(image_status)

    # When resource 7 itself disappears (a finished build deletes its stack): nothing left to find it by
    del resources[7]

    # Then the walk takes 7 to be the one that left and resumes one position earlier (5, 6, 8, 9, ...): at 8,
    # so nothing is missed and nothing repeats
    rest = _the_rest(image_status, pages[-1]["next_token"])
    assert ids_of(rest) == expected[8:]


def test_a_changed_page_size_resumes_with_the_max_results_of_the_token(stubbed: Stub) -> None:
    # Given EC2 pages read with MaxResults 5 (pages of three), the first page ending inside the first AWS page
    first, second = _amis("s", 5), _amis("t", 3)
    ec2 = stubbed("ec2", "us-east-1")
    ec2.add_response("describe_images", {"Images": first, "NextToken": "t1"}, _describe_images_params(5))
    page_one = list_images("AVAILABLE", page_size=3)

    # When the next page is asked with pages of seven (which alone would mean MaxResults 7)
    ec2.add_response("describe_images", {"Images": first, "NextToken": "t1"}, _describe_images_params(5))
    ec2.add_response("describe_images", {"Images": second}, _describe_images_params(5, "t1"))
    page_two = list_images("AVAILABLE", next_token=page_one["next_token"], page_size=7)

    # Then the same AWS pages are read (the Stubber checks MaxResults 5) and every image comes once
    assert ids_of([page_one, page_two]) == [image["ImageId"] for image in first + second]
    assert len(page_two["images"]) == 5
    assert "next_token" not in page_two


def _signed(payload: bytes) -> str:
    # base64url of any bytes with the right checksum: the checksum has no secret, anyone can make these
    return base64.urlsafe_b64encode(payload + hashlib.sha256(payload).digest()[:8]).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "fields",
    [
        {"v": 1, "s": "PENDING", "r": "us-east-1", "t": None, "o": 2},
        {"v": 2, "s": "PENDING", "r": "us-east-1", "t": None, "o": 2, "i": stack_arn("build-1"), "m": 5},
    ],
    ids=["format-1", "format-2-with-the-raw-id"],
)
def test_a_token_of_a_previous_format_is_a_400(fake_aws: FakeAws, fields: dict[str, Any]) -> None:
    # Given a token as a previous version issued it (1: no id nor MaxResults; 2: the raw id of the last item)
    token = _signed(json.dumps(fields, separators=(",", ":")).encode())

    # When it is used
    answer = invoke(v1_event({"imageStatus": "PENDING", "nextToken": token}))

    # Then it is an invalid token, and AWS is not called
    assert (answer.status, answer.body) == (400, {"message": "Bad Request: invalid nextToken"})
    assert fake_aws.calls == []


@pytest.mark.parametrize("payload", [b"[" * 1200, b'{"a":' * 1200], ids=["nested-arrays", "nested-objects"])
def test_a_forged_deeply_nested_token_is_a_400_not_a_500(
    fake_aws: FakeAws, payload: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    # Given issue 11's forged token: deeply nested JSON with a valid checksum (there is no secret)
    token = _signed(payload)

    # When it is used with the interpreter's default recursion limit
    with interpreter_recursion_limit(), caplog.at_level(logging.ERROR, logger="listimages"):
        answer = invoke(v1_event({"imageStatus": "PENDING", "nextToken": token}))

    # Then it is the invalid-token 400, nothing is logged as an error, and AWS is not called
    assert (answer.status, answer.body) == (400, {"message": "Bad Request: invalid nextToken"})
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert fake_aws.calls == []


@pytest.mark.parametrize("make_event", [v1_event, v2_event], ids=["v1", "v2"])
def test_a_token_never_reveals_a_stack_the_api_does_not_list(
    fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch, make_event: Callable[..., dict[str, Any]]
) -> None:
    # Given pages of one and a stack that is no image build between two builds (the last raw item the first
    # page consumes before it is full)
    monkeypatch.setenv("LIST_IMAGES_PAGE_SIZE", "1")
    fake_aws.stacks = [
        stack("build-1", "CREATE_IN_PROGRESS", "image-1"),
        stack("acme-payroll-db-prod", "CREATE_IN_PROGRESS", None),
        stack("build-2", "CREATE_IN_PROGRESS", "image-2"),
    ]

    # When the first page is listed
    first = invoke(make_event({"imageStatus": "PENDING"}))

    # Then its token's bytes hold neither that stack's ARN nor its name nor the account id
    token = first.body["nextToken"]
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for secret in (stack_arn("acme-payroll-db-prod"), "acme-payroll-db-prod", ACCOUNT_ID):
        assert secret.encode() not in raw
    # and the walk still goes on right after it
    second = invoke(make_event({"imageStatus": "PENDING", "nextToken": token}))
    assert ids_of([first.body, second.body]) == [stack_arn("build-1"), stack_arn("build-2")]
    assert "nextToken" not in second.body


def test_page_size_follows_a_changed_configuration(
    fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a page size already used (and cached) in this process
    fake_aws.amis = _amis("g", 5)
    monkeypatch.setenv("LIST_IMAGES_PAGE_SIZE", "2")
    assert len(list_images("AVAILABLE")["images"]) == 2

    # When the configuration changes
    monkeypatch.setenv("LIST_IMAGES_PAGE_SIZE", "4")

    # Then the new size applies
    assert len(list_images("AVAILABLE")["images"]) == 4
