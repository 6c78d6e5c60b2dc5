"""The list-images CLI against the SigV4-verifying fake endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from client import cli
from tests.client.conftest import EXPLICIT_ACCESS_KEY, EXPLICIT_SECRET_KEY, STAGE_MOUNT, STAGE_REGION
from tests.client.fake_endpoint import CannedResponse, FakeEndpoint
from tests.client.samples import AVAILABLE_IMAGE

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


def pending_image(image_id: str) -> dict[str, str]:
    """A PENDING-image summary as the endpoint returns it."""
    return {
        "imageId": image_id,
        "imageBuildStatus": "BUILD_IN_PROGRESS",
        "cloudformationStackStatus": "CREATE_IN_PROGRESS",
        "cloudformationStackArn": f"arn:aws:cloudformation:us-east-1:123456789012:stack/{image_id}/1",
        "region": "us-east-1",
        "version": "3.9.0",
    }


def stage_url(endpoint: FakeEndpoint) -> str:
    """The fake's stage URL, which the CLI signs for us-east-1 (botocore's Region in the tests)."""
    return endpoint.base_url + STAGE_MOUNT


def run_cli(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    """Run main() in-process; return (exit status, stdout, stderr)."""
    status = cli.main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_prints_one_page_as_json(fake_endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str]) -> None:
    # given a page with a token for more
    page = {"images": [AVAILABLE_IMAGE], "nextToken": "more"}
    fake_endpoint.answer(STAGE_MOUNT, {"imageStatus": "AVAILABLE"}, CannedResponse(200, page))

    # when
    status, out, err = run_cli(capsys, "--image-status", "AVAILABLE", "--endpoint", stage_url(fake_endpoint))

    # then the page is printed as the endpoint sent it, camelCase, like `pcluster list-images`
    assert (status, err) == (0, "")
    assert json.loads(out) == page


def test_region_and_next_token_are_passed(
    fake_endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a page for a Region and token
    query = {"imageStatus": "PENDING", "region": "eu-west-1", "nextToken": "abc/="}
    fake_endpoint.answer(STAGE_MOUNT, query, CannedResponse(200, {"images": []}))

    # when
    status, out, _ = run_cli(
        capsys,
        *("--image-status", "PENDING", "--region", "eu-west-1", "--next-token", "abc/="),
        *("--endpoint", stage_url(fake_endpoint)),
    )

    # then
    assert status == 0
    assert json.loads(out) == {"images": []}
    assert fake_endpoint.received[0].query == query


def test_all_follows_every_token(fake_endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str]) -> None:
    # given two pages
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "PENDING"},
        CannedResponse(200, {"images": [pending_image("first")], "nextToken": "second-page"}),
    )
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "PENDING", "nextToken": "second-page"},
        CannedResponse(200, {"images": [pending_image("second")]}),
    )

    # when listing everything
    status, out, _ = run_cli(
        capsys, "--image-status", "PENDING", "--all", "--endpoint", stage_url(fake_endpoint)
    )

    # then every image is printed, and no token (there is nothing left to follow)
    assert status == 0
    assert json.loads(out) == {"images": [pending_image("first"), pending_image("second")]}
    assert len(fake_endpoint.received) == 2


def test_endpoint_from_environment(
    fake_endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the endpoint is only in LIST_IMAGES_ENDPOINT
    monkeypatch.setenv("LIST_IMAGES_ENDPOINT", stage_url(fake_endpoint))
    fake_endpoint.answer(STAGE_MOUNT, {"imageStatus": "FAILED"}, CannedResponse(200, {"images": []}))

    # when
    status, out, _ = run_cli(capsys, "--image-status", "FAILED")

    # then
    assert status == 0
    assert json.loads(out) == {"images": []}


def test_local_uses_the_local_endpoint_and_its_credentials(
    fake_endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the "local endpoint" is the fake, which knows only the explicit key pair (not the ambient one)
    monkeypatch.setattr(cli, "LOCAL_ENDPOINT_URL", stage_url(fake_endpoint))
    monkeypatch.setattr(cli, "LOCAL_SIGNING_REGION", STAGE_REGION)
    monkeypatch.setattr(cli, "LOCAL_ACCESS_KEY_ID", EXPLICIT_ACCESS_KEY)
    monkeypatch.setattr(cli, "LOCAL_SECRET_ACCESS_KEY", EXPLICIT_SECRET_KEY)
    monkeypatch.setenv("LIST_IMAGES_ENDPOINT", "http://127.0.0.1:9/not-this-one")
    fake_endpoint.answer(STAGE_MOUNT, {"imageStatus": "AVAILABLE"}, CannedResponse(200, {"images": []}))

    # when
    status, out, err = run_cli(capsys, "--image-status", "AVAILABLE", "--local")

    # then --local wins over the environment and signs with the local credentials
    assert (status, err) == (0, "")
    assert json.loads(out) == {"images": []}


def test_api_error_exits_non_zero_with_message(
    fake_endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the endpoint refuses the Region
    message = "Bad Request: invalid or unsupported region 'mars-1'"
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "AVAILABLE", "region": "mars-1"},
        CannedResponse(400, {"message": message}),
    )

    # when
    status, out, err = run_cli(
        capsys, "--image-status", "AVAILABLE", "--region", "mars-1", "--endpoint", stage_url(fake_endpoint)
    )

    # then the message goes to stderr as JSON, like pcluster's, and nothing to stdout
    assert status == 1
    assert out == ""
    assert json.loads(err) == {"message": message, "statusCode": 400}


def test_throttling_reports_retry_after(
    fake_endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    # given AWS throttles the endpoint
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "FAILED"},
        CannedResponse(429, {"message": "Too many requests to AWS"}, {"Retry-After": "3"}),
    )

    # when
    status, _, err = run_cli(capsys, "--image-status", "FAILED", "--endpoint", stage_url(fake_endpoint))

    # then
    assert status == 1
    assert json.loads(err) == {
        "message": "Too many requests to AWS",
        "retryAfterSeconds": 3,
        "statusCode": 429,
    }


def test_all_stops_at_a_failing_page(fake_endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str]) -> None:
    # given the second page fails
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "PENDING"},
        CannedResponse(200, {"images": [pending_image("first")], "nextToken": "bad"}),
    )
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "PENDING", "nextToken": "bad"},
        CannedResponse(500, {"message": "Internal server error (request id 42)"}),
    )

    # when
    status, out, err = run_cli(
        capsys, "--image-status", "PENDING", "--all", "--endpoint", stage_url(fake_endpoint)
    )

    # then no partial list is printed as if it were complete
    assert status == 1
    assert out == ""
    assert json.loads(err)["message"] == "Internal server error (request id 42)"


def test_no_endpoint_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given no endpoint anywhere
    monkeypatch.delenv("LIST_IMAGES_ENDPOINT", raising=False)

    # when
    status, out, err = run_cli(capsys, "--image-status", "AVAILABLE")

    # then
    assert (status, out) == (1, "")
    assert "LIST_IMAGES_ENDPOINT" in json.loads(err)["message"]


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--image-status", "available", "--local"], "invalid choice: 'available'"),
        (["--local"], "--image-status"),
        (["--image-status", "AVAILABLE", "--local", "--endpoint", "http://x"], "not allowed with"),
    ],
)
def test_bad_usage_exits_2(arguments: list[str], complaint: str, capsys: pytest.CaptureFixture[str]) -> None:
    # when the arguments are wrong, then argparse refuses them before any call
    with pytest.raises(SystemExit) as exited:
        cli.main(arguments)
    assert exited.value.code == 2
    assert complaint in capsys.readouterr().err


def test_runs_as_a_module(fake_endpoint: FakeEndpoint) -> None:
    # given a page
    fake_endpoint.answer(
        STAGE_MOUNT, {"imageStatus": "AVAILABLE"}, CannedResponse(200, {"images": [AVAILABLE_IMAGE]})
    )

    # when run as `python -m client.cli` from the repository root, with the test credentials
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "client.cli",
            "--image-status",
            "AVAILABLE",
            "--endpoint",
            stage_url(fake_endpoint),
        ],
        cwd=REPOSITORY_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # then it prints the page and exits 0
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {"images": [AVAILABLE_IMAGE]}


def test_local_defaults_match_what_python_m_local_serves() -> None:
    # given what `python -m local` binds and verifies by default (the wheel ships the client without local/)
    from local.__main__ import DEFAULT_PORT  # noqa: PLC0415 - only this test needs the emulator package
    from local.endpoint import DEFAULT_REGION, EMULATOR_CREDENTIALS  # noqa: PLC0415

    local_url = f"http://127.0.0.1:{DEFAULT_PORT}/prod"
    local_key = (EMULATOR_CREDENTIALS.access_key, EMULATOR_CREDENTIALS.secret_key)

    # then --local targets that port (stage "prod", the construct's default) and signs with that key pair
    assert local_url == cli.LOCAL_ENDPOINT_URL
    assert cli.LOCAL_SIGNING_REGION == DEFAULT_REGION
    assert local_key == (cli.LOCAL_ACCESS_KEY_ID, cli.LOCAL_SECRET_ACCESS_KEY)
