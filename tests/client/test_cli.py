"""The list-images CLI against the SigV4-verifying fake endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from client import api_client, cli
from client.api_client import DEFAULT_TIMEOUT_SECONDS, ListImagesClient
from client.local_endpoint import (
    LOCAL_ACCESS_KEY_ID,
    LOCAL_ENDPOINT_URL,
    LOCAL_SECRET_ACCESS_KEY,
    LOCAL_SIGNING_REGION,
)
from tests.client.conftest import (
    EXPLICIT_ACCESS_KEY,
    EXPLICIT_SECRET_KEY,
    LEAKED_SECRET,
    STAGE_MOUNT,
    STAGE_REGION,
    failing_credential_process,
)
from tests.client.fake_endpoint import CannedResponse, FakeEndpoint
from tests.client.raw_server import raw_server
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
    monkeypatch.setattr(api_client, "LOCAL_ACCESS_KEY_ID", EXPLICIT_ACCESS_KEY)
    monkeypatch.setattr(api_client, "LOCAL_SECRET_ACCESS_KEY", EXPLICIT_SECRET_KEY)
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
    assert local_url == LOCAL_ENDPOINT_URL
    assert LOCAL_SIGNING_REGION == DEFAULT_REGION
    assert local_key == (LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY)


def test_all_failure_reports_the_token_to_resume_from(
    fake_endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the second page of a walk is throttled
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "PENDING"},
        CannedResponse(200, {"images": [pending_image("first")], "nextToken": "page-2"}),
    )
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "PENDING", "nextToken": "page-2"},
        CannedResponse(429, {"message": "Too many requests to AWS"}, {"Retry-After": "2"}),
    )

    # when listing everything
    status, out, err = run_cli(
        capsys, "--image-status", "PENDING", "--all", "--endpoint", stage_url(fake_endpoint)
    )

    # then nothing is printed as if complete, and stderr says where to carry on from
    assert (status, out) == (1, "")
    assert json.loads(err) == {
        "message": "Too many requests to AWS",
        "retryAfterSeconds": 2,
        "statusCode": 429,
        "resumeNextToken": "page-2",
    }


def test_all_stops_on_a_repeated_token(
    fake_endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a guard that fails the test (instead of hanging it) if the CLI keeps following the token
    fetch_page = ListImagesClient.list_images_page

    def guarded(client: ListImagesClient, *arguments: Any, **options: Any) -> dict[str, Any]:
        assert len(fake_endpoint.received) < 20, "the CLI kept following a repeated nextToken"
        return fetch_page(client, *arguments, **options)

    monkeypatch.setattr(ListImagesClient, "list_images_page", guarded)

    # and a page that points back at itself
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "PENDING"},
        CannedResponse(200, {"images": [pending_image("first")], "nextToken": "loop"}),
    )
    fake_endpoint.answer(
        STAGE_MOUNT,
        {"imageStatus": "PENDING", "nextToken": "loop"},
        CannedResponse(200, {"images": [pending_image("again")], "nextToken": "loop"}),
    )

    # when listing everything
    status, out, err = run_cli(
        capsys, "--image-status", "PENDING", "--all", "--endpoint", stage_url(fake_endpoint)
    )

    # then the walk ends with an error after two pages instead of looping
    assert (status, out) == (1, "")
    assert json.loads(err) == {
        "message": "the endpoint sent a nextToken that was already followed, after 2 page(s); "
        "stopped to avoid an endless loop"
    }
    assert len(fake_endpoint.received) == 2


def test_redirect_is_an_error_and_not_followed(capsys: pytest.CaptureFixture[str]) -> None:
    # given an endpoint that redirects elsewhere
    with raw_server(b'HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{"images": []}') as elsewhere:
        location = elsewhere.base_url + "/prod/images/custom"
        answer = f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
        with raw_server(answer.encode()) as redirecting:
            # when
            status, out, err = run_cli(
                capsys, "--image-status", "AVAILABLE", "--endpoint", redirecting.base_url + "/prod"
            )

    # then the CLI fails naming the status and Location, and the other server saw nothing
    assert (status, out) == (1, "")
    message = json.loads(err)["message"]
    assert "HTTP 307" in message
    assert location in message
    assert elsewhere.requests == []


@pytest.mark.parametrize(
    ("endpoint", "complaint"),
    [
        ("http://127.0.0.1:abc/prod", "not a valid URL"),
        ("http://[::1/prod", "Invalid IPv6 URL"),
        ("http://127.0.0.1:8080/prod?stage=1", "query string"),
        ("http://127.0.0.1:8080/prod/images/custom", "give the API URL"),
    ],
)
def test_unusable_endpoint_is_a_json_error(
    endpoint: str, complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # when
    status, out, err = run_cli(capsys, "--image-status", "AVAILABLE", "--endpoint", endpoint)

    # then
    assert (status, out) == (1, "")
    assert complaint in json.loads(err)["message"]


@pytest.mark.parametrize(
    "answer",
    [b"not http at all\r\n\r\n", b'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"images": ['],
)
def test_broken_answer_is_a_json_error(answer: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    # given a server answering a non-HTTP status line, or a body shorter than announced
    with raw_server(answer) as broken:
        # when
        status, out, err = run_cli(
            capsys, "--image-status", "AVAILABLE", "--endpoint", broken.base_url + "/p"
        )

    # then
    assert (status, out) == (1, "")
    assert "did not answer a complete HTTP response" in json.loads(err)["message"]


@pytest.mark.parametrize(
    ("config_text", "profile", "complaint"),
    [
        ("", "missing", "The config profile (missing) could not be found"),
        (f"[default\naws_secret_access_key = {LEAKED_SECRET}\n", None, "Unable to parse config file"),
        ("[default]\ncredential_process = {process}\n", None, "Unsupported version"),
        ("", None, "no AWS credentials found"),
    ],
)
def test_botocore_configuration_failures_are_json_errors(
    no_ambient_aws: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    config_text: str,
    profile: str | None,
    complaint: str,
) -> None:
    # given a broken AWS configuration and an execute-api endpoint
    no_ambient_aws.write_text(config_text.format(process=failing_credential_process(tmp_path)))
    if profile:
        monkeypatch.setenv("AWS_PROFILE", profile)

    # when
    status, out, err = run_cli(
        capsys,
        *("--image-status", "AVAILABLE"),
        *("--endpoint", "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"),
    )

    # then the failure is the CLI's JSON message, with no secret
    assert (status, out) == (1, "")
    assert complaint in json.loads(err)["message"]
    assert LEAKED_SECRET not in err


def test_ctrl_c_exits_130_with_one_line(
    fake_endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the user presses Ctrl-C while the call is in flight
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ListImagesClient, "list_images_page", interrupted)

    # when (an interrupt escaping main() would otherwise stop the whole test session)
    try:
        status, out, err = run_cli(
            capsys, "--image-status", "AVAILABLE", "--endpoint", stage_url(fake_endpoint)
        )
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped main()")

    # then the exit status is the shell's for SIGINT and stderr holds one JSON line, no traceback
    assert (status, out) == (130, "")
    assert err.count("\n") == 1
    assert json.loads(err) == {"message": "interrupted"}


def test_timeout_option_bounds_the_wait(capsys: pytest.CaptureFixture[str]) -> None:
    # given an endpoint that never answers
    with raw_server(None) as silent:
        # when the CLI is given a short timeout
        status, out, err = run_cli(
            capsys,
            *("--image-status", "AVAILABLE", "--endpoint", silent.base_url + "/prod"),
            *("--endpoint-region", "us-east-1", "--timeout", "0.4"),
        )

    # then it gives up after that timeout, and says so
    assert (status, out) == (1, "")
    assert json.loads(err)["message"] == (
        f"no answer from {silent.base_url}/prod/images/custom within the 0.4 s timeout"
    )


def test_timeout_defaults_to_35_seconds() -> None:
    # when no --timeout is given, then the client's default applies (a little over API Gateway's 29 s)
    arguments = cli._argument_parser().parse_args(["--image-status", "AVAILABLE", "--local"])
    assert arguments.timeout == DEFAULT_TIMEOUT_SECONDS == 35


@pytest.mark.parametrize("value", ["0", "-5", "soon", "nan", "inf"])
def test_unusable_timeout_exits_2(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    # when the timeout is not a positive number of seconds, then argparse refuses it before any call
    with pytest.raises(SystemExit) as exited:
        cli.main(["--image-status", "AVAILABLE", "--local", "--timeout", value])
    assert exited.value.code == 2
    assert f"argument --timeout: {value!r}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("endpoint", "local_hint"),
    [("https://images.example.com/prod", False), ("http://127.0.0.1:8080/prod", True)],
)
def test_missing_signing_region_names_the_cli_option(
    no_ambient_aws: Path, capsys: pytest.CaptureFixture[str], endpoint: str, local_hint: bool
) -> None:
    # given no Region anywhere and an endpoint whose host names none

    # when
    status, out, err = run_cli(capsys, "--image-status", "AVAILABLE", "--endpoint", endpoint)

    # then the message names this command's option (not the Python argument), and --local for a local URL
    assert (status, out) == (1, "")
    message = json.loads(err)["message"]
    assert "pass --endpoint-region REGION" in message
    assert "signing_region" not in message
    assert ("use --local" in message) is local_hint


def test_wrong_stage_is_reported_with_a_hint(
    fake_endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a URL with a stage the API does not have (API Gateway answers "Missing Authentication Token")
    wrong_stage = fake_endpoint.base_url + "/production"

    # when
    status, out, err = run_cli(capsys, "--image-status", "AVAILABLE", "--endpoint", wrong_stage)

    # then the answer is reported as it came, with a hint at the URL
    assert (status, out) == (1, "")
    report = json.loads(err)
    assert (report["statusCode"], report["message"]) == (403, "Missing Authentication Token")
    assert "check the endpoint's stage" in report["hint"]
    assert f"{wrong_stage}/images/custom" in report["hint"]


def _images(count: int) -> list[dict[str, Any]]:
    return [{**AVAILABLE_IMAGE, "imageId": f"image-{number:05d}"} for number in range(count)]


def _start_cli_subprocess(endpoint: FakeEndpoint) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "client.cli"),
            *("--image-status", "AVAILABLE", "--all", "--endpoint", stage_url(endpoint)),
        ],
        cwd=REPOSITORY_ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_output_closed_by_the_reader_ends_quietly(fake_endpoint: FakeEndpoint) -> None:
    # given a listing of about 1 MB, far more than a pipe holds
    fake_endpoint.answer(
        STAGE_MOUNT, {"imageStatus": "AVAILABLE"}, CannedResponse(200, {"images": _images(4000)})
    )

    # when the reader takes the first 3 lines and closes the pipe (`list-images ... | head -3`)
    process = _start_cli_subprocess(fake_endpoint)
    assert process.stdout is not None
    first_lines = [process.stdout.readline() for _ in range(3)]
    process.stdout.close()
    _, err = process.communicate(timeout=60)

    # then the reader got the start of the JSON, and the CLI ended with 0 and without a word
    assert first_lines == [b"{\n", b'  "images": [\n', b"    {\n"]
    assert (process.returncode, err.decode()) == (0, "")


def test_output_closed_before_anything_is_written_ends_quietly(fake_endpoint: FakeEndpoint) -> None:
    # given a short listing (it fits in the output buffer, written at exit at the latest)
    fake_endpoint.answer(
        STAGE_MOUNT, {"imageStatus": "AVAILABLE"}, CannedResponse(200, {"images": _images(2)})
    )

    # when the reader closes the pipe at once (the CLI is still starting and calling the endpoint)
    process = _start_cli_subprocess(fake_endpoint)
    assert process.stdout is not None
    process.stdout.close()
    _, err = process.communicate(timeout=60)

    # then the CLI still fetched the listing, and ended with 0 without a traceback
    assert len(fake_endpoint.received) == 1
    assert (process.returncode, err.decode()) == (0, "")
