"""`make deploy` (and `make bootstrap`) run this before synthesizing: are there AWS credentials for the CDK
CLI to deploy with?

Without it, a missing credential or profile shows only after a 15 s synth, as CDK's "Unable to resolve
AWS account to use", which never says that credentials are missing. This asks botocore's credential
chain (the one the AWS CLI uses: environment, profile, SSO, roles, credential_process, container and
instance roles) and says in one line what it found, or what it looked at and how to fix it.

Usage: ``python scripts/check_deploy_credentials.py [--make-target bootstrap] [CDK ARGUMENTS]`` (of the
CDK CLI's arguments, only ``--profile`` is read). Exit status 0 when credentials are found, 1 when not.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import botocore.session
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ProfileNotFound,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)

# The Region the CDK CLI falls back to when none is configured.
CDK_DEFAULT_REGION: Final = "us-east-1"
_BOOTSTRAP_REMINDER: Final = (
    "the first deploy to an account and Region also needs `make bootstrap` (cdk bootstrap)"
)
# SSO credentials are fetched lazily; fetching them now turns an expired SSO login into botocore's own
# "run aws sso login" message here, instead of a failure after the synth. (Roles are left lazy: an MFA
# prompt would then come twice, here and in the CDK CLI.)
_RESOLVE_NOW: Final = frozenset({"sso"})


@dataclass(frozen=True)
class CredentialCheck:
    """The outcome: `found` and one line for a person (never a key)."""

    found: bool
    line: str


def check_credentials(session: botocore.session.Session, *, profile: str | None = None) -> CredentialCheck:
    """Look for AWS credentials the way the CDK CLI will, and describe what was found or what to do.

    Parameters
    ----------
    session:
        The botocore session; its environment (AWS_PROFILE, AWS_CONFIG_FILE, ...) is the one looked at.
    profile:
        A profile given on the command line (``cdk deploy --profile``); wins over AWS_PROFILE.
    """
    if profile:
        session.set_config_variable("profile", profile)
    profile_name = session.get_config_variable("profile")
    files = (
        f"{session.get_config_variable('config_file')} and {session.get_config_variable('credentials_file')}"
    )
    try:
        credentials = session.get_credentials()
        if credentials is not None and credentials.method in _RESOLVE_NOW:
            credentials.get_frozen_credentials()
    except ProfileNotFound:
        source = "--profile" if profile else "AWS_PROFILE"
        return CredentialCheck(
            False,
            f"the AWS profile {profile_name!r} ({source}) is not in {files}: check its name "
            f"(`aws configure list-profiles`), or unset {source} to use the default credentials",
        )
    except (SSOTokenLoadError, UnauthorizedSSOTokenError, TokenRetrievalError) as error:
        login = f"aws sso login --profile {profile_name}" if profile_name else "aws sso login"
        return CredentialCheck(False, f"the AWS SSO login is missing or expired ({error}): run `{login}`")
    except (BotoCoreError, ClientError) as error:
        # botocore's messages name the profile, file or provider and what to run, never a key.
        return CredentialCheck(
            False, f"cannot get AWS credentials (profile {profile_name or 'default'!r}): {error}"
        )
    if credentials is None:
        where = f"profile {profile_name!r}" if profile_name else "profile 'default' (AWS_PROFILE is not set)"
        return CredentialCheck(
            False,
            "no AWS credentials found; looked at: environment variables (AWS_ACCESS_KEY_ID, "
            f"AWS_SECRET_ACCESS_KEY), {where} in {files} (keys, SSO, roles, credential_process), "
            "container and EC2 instance roles. Fix: `aws configure` (access keys) or `aws configure sso` "
            "then `aws sso login`, or `export AWS_PROFILE=<profile>`; " + _BOOTSTRAP_REMINDER,
        )
    # The CDK CLI reads AWS_REGION first; botocore does not read it at all.
    region = os.environ.get("AWS_REGION") or session.get_config_variable("region")
    where_to = (
        f"Region {region}"
        if region
        else f"Region {CDK_DEFAULT_REGION} (none configured: the CDK CLI's default; set AWS_REGION to choose)"
    )
    by_profile = f", profile {profile_name!r}" if profile_name else ""
    return CredentialCheck(
        True, f"Deploying with AWS credentials from {credentials.method}{by_profile} to {where_to}"
    )


def main(argv: Sequence[str] | None = None, *, session: botocore.session.Session | None = None) -> int:
    """Check; print the outcome (stdout when found, stderr when not); return the exit status."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--profile")
    # Which `make` target runs the check, to name it in the message.
    parser.add_argument("--make-target", default="deploy")
    arguments, _ = parser.parse_known_args(argv)
    outcome = check_credentials(session or botocore.session.Session(), profile=arguments.profile)
    if outcome.found:
        print(outcome.line, flush=True)
        return 0
    print(f"make {arguments.make_target}: {outcome.line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
