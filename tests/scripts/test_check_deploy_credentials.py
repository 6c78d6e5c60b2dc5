"""`make deploy`'s credential check: one clear line before any synth, never a traceback, never a key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest

from scripts.check_deploy_credentials import check_credentials, main

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
SECRET = "wJalrXUtnFEMI-NEVER-PRINTED"
_AMBIENT_AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


@pytest.fixture
def aws_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, Path]:
    """Nothing AWS in the environment, empty config and credentials files, a fresh home, no instance
    metadata lookups (no network); returns (config file, credentials file)."""
    for name in _AMBIENT_AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("")
    credentials.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # where botocore keeps SSO tokens
    return config, credentials


def run_check(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments), session=botocore.session.Session())
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_no_credentials_is_one_line_naming_what_was_looked_at(
    aws_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # given no credentials anywhere (aws_files)
    config, credentials = aws_files

    # when
    status, out, err = run_check(capsys)

    # then one line on stderr says what was looked at, how to fix it, and reminds of cdk bootstrap
    assert (status, out) == (1, "")
    assert err.count("\n") == 1
    assert err.startswith("make deploy: no AWS credentials found; looked at: environment variables ")
    for named in (
        "AWS_ACCESS_KEY_ID",
        "profile 'default' (AWS_PROFILE is not set)",
        f"{config} and {credentials}",
        "SSO",
        "`aws configure`",
        "`aws sso login`",
        "export AWS_PROFILE=",
        "cdk bootstrap",
    ):
        assert named in err


@pytest.mark.parametrize(("from_environment", "source"), [(True, "AWS_PROFILE"), (False, "--profile")])
def test_a_profile_that_does_not_exist_fails_with_its_own_line(
    aws_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    from_environment: bool,
    source: str,
) -> None:
    # given a profile name that is in neither file (from AWS_PROFILE, or from `make deploy ARGS=--profile`)
    config, credentials = aws_files
    arguments = ["--require-approval", "never"]
    if from_environment:
        monkeypatch.setenv("AWS_PROFILE", "nosuchprofile")
    else:
        arguments += ["--profile", "nosuchprofile"]

    # when
    status, out, err = run_check(capsys, *arguments)

    # then the line names the profile, where it came from and the files, and says what to do
    assert (status, out) == (1, "")
    assert err == (
        f"make deploy: the AWS profile 'nosuchprofile' ({source}) is not in {config} and {credentials}: "
        f"check its name (`aws configure list-profiles`), or unset {source} to use the default credentials\n"
    )


def test_make_bootstrap_is_named_as_the_command_that_failed(
    aws_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # when `make bootstrap` runs the check with no credentials anywhere
    status, _, err = run_check(capsys, "--make-target", "bootstrap", "aws://111122223333/eu-west-1")

    # then its line names that command
    assert status == 1
    assert err.startswith("make bootstrap: no AWS credentials found; ")


def test_environment_credentials_pass_and_say_where_the_deploy_goes(
    aws_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given keys in the environment and a Region
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    # when
    status, out, err = run_check(capsys)

    # then it passes, saying which credentials and Region, and shows no key
    assert (status, out, err) == (0, "Deploying with AWS credentials from env to Region eu-west-1\n", "")


def test_without_a_region_it_names_the_cdk_default(
    aws_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # given a profile with keys in the credentials file and no Region anywhere
    _, credentials = aws_files
    credentials.write_text(f"[deployer]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = {SECRET}\n")

    # when
    status, out, _ = run_check(capsys, "--profile", "deployer")

    # then
    assert status == 0
    assert out == (
        "Deploying with AWS credentials from shared-credentials-file, profile 'deployer' to Region us-east-1 "
        "(none configured: the CDK CLI's default; set AWS_REGION to choose)\n"
    )
    assert SECRET not in out


def test_an_sso_profile_without_a_login_says_to_log_in(
    aws_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an SSO profile that was never logged in (no token in the cache: no network call is made)
    config, _ = aws_files
    config.write_text(
        "[profile dev]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 111122223333\nsso_role_name = Deployer\nregion = eu-west-1\n"
    )
    monkeypatch.setenv("AWS_PROFILE", "dev")

    # when
    outcome = check_credentials(botocore.session.Session())

    # then
    assert not outcome.found
    assert outcome.line.startswith("the AWS SSO login is missing or expired (")
    assert outcome.line.endswith("): run `aws sso login --profile dev`")


def test_runs_as_make_deploy_runs_it_without_a_traceback(aws_files: tuple[Path, Path]) -> None:
    # when the script runs in its own process, as the Makefile runs it, with no credentials
    completed = subprocess.run(
        [sys.executable, "scripts/check_deploy_credentials.py", "--all"],
        cwd=REPOSITORY_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # then it exits 1 with its one line, and nothing else
    assert (completed.returncode, completed.stdout) == (1, "")
    assert completed.stderr.startswith("make deploy: no AWS credentials found; ")
    assert completed.stderr.count("\n") == 1
