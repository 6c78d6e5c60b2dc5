"""The emulated AWS answers as AWS does where moto alone would not: Regions AWS does not have, Regions moto
does not serve, and continuation tokens it never issued. Plain botocore clients, no function involved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from local import EmulatedAws, SampleCounts, seed_sample_images
from local import faults as proxy_rules
from local.emulator import UnresolvableRegions

# One attempt: the errors below are the first answer, not what is left after botocore's retries.
_ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="module")
def emulated_aws() -> Iterator[EmulatedAws]:
    """The emulator with 55 stacks in us-west-2 (moto pages DescribeStacks by 50)."""
    emulator = EmulatedAws().start()
    try:
        seed_sample_images({"us-west-2": SampleCounts(available=0, pending=50, failed=0)})
        yield emulator
    finally:
        emulator.stop()


def _client(emulator: EmulatedAws, service: str, region: str) -> Any:
    return botocore.session.get_session().create_client(
        service,
        region_name=region,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=_ONE_ATTEMPT,
    )


@pytest.mark.parametrize("region", ["us-east-7", "eu-foo-1"])
@pytest.mark.parametrize("service", ["ec2", "cloudformation"])
def test_a_region_aws_does_not_have_has_no_endpoint(
    emulated_aws: EmulatedAws, service: str, region: str
) -> None:
    # given: a well-formed Region name no AWS partition lists (moto would fail with a KeyError, a 500)
    client = _client(emulated_aws, service, region)
    operation = client.describe_images if service == "ec2" else client.describe_stacks

    # when/then: the call fails as on AWS, where the endpoint's name does not resolve
    with pytest.raises(EndpointConnectionError, match=re.escape(f"{service}.{region}.amazonaws.com")):
        operation()


def _unknown_region_client(endpoint_url: str) -> Any:
    return botocore.session.get_session().create_client(
        "ec2",
        region_name="us-east-7",
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=_ONE_ATTEMPT,
    )


def test_the_unknown_region_rule_acts_on_its_endpoint_only_and_until_removed() -> None:
    # given: the rule for an endpoint where nothing listens, and a client created while it is installed
    closed_port = "http://127.0.0.1:9"
    rule = UnresolvableRegions(closed_port).install()
    try:
        client = _unknown_region_client(closed_port)
        other_endpoint = _unknown_region_client("http://127.0.0.1:7")

        # when/then: a call to its endpoint fails as an unresolvable AWS endpoint; another endpoint is left
        # to fail on its own (connection refused at that address)
        with pytest.raises(EndpointConnectionError, match=re.escape("ec2.us-east-7.amazonaws.com")):
            client.describe_images()
        with pytest.raises(EndpointConnectionError, match=re.escape("127.0.0.1:7")):
            other_endpoint.describe_images()
    finally:
        rule.remove()

    # and: once removed, neither old nor new clients see it
    for after in (client, _unknown_region_client(closed_port)):
        with pytest.raises(EndpointConnectionError, match=re.escape("127.0.0.1:9")):
            after.describe_images()


@pytest.mark.parametrize(
    ("service", "code", "status"),
    [("ec2", "AuthFailure", 401), ("cloudformation", "InvalidClientTokenId", 403)],
)
def test_a_region_moto_does_not_serve_is_not_enabled_for_the_account(
    emulated_aws: EmulatedAws, monkeypatch: pytest.MonkeyPatch, service: str, code: str, status: int
) -> None:
    # given: a Region botocore knows but moto does not serve (as for Regions newer than moto)
    monkeypatch.setattr(proxy_rules, "_served_regions", lambda _service: frozenset({"us-east-1"}))
    client = _client(emulated_aws, service, "eu-west-1")
    operation = client.describe_images if service == "ec2" else client.describe_stacks

    # when/then: AWS's answer in a Region the account has not enabled: it does not know the credentials
    with pytest.raises(ClientError) as raised:
        operation()
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


@pytest.mark.parametrize("token", ["forged-continuation-token", "\u00e9\u0000\ud7ff<&>"], ids=["text", "nul"])
def test_a_forged_cloudformation_next_token_is_a_validation_error(
    emulated_aws: EmulatedAws, token: str
) -> None:
    # given: a NextToken moto never issued (moto fails with a ValueError, a 500), plain or holding a NUL
    client = _client(emulated_aws, "cloudformation", "us-west-2")

    # when/then: AWS's validation error, a well-formed answer whatever the token held
    with pytest.raises(ClientError) as raised:
        client.describe_stacks(NextToken=token)
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert "NextToken" in error["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_next_token_the_emulator_issued_still_pages(emulated_aws: EmulatedAws) -> None:
    # given: the first DescribeStacks page of a Region with 55 stacks, and its NextToken
    client = _client(emulated_aws, "cloudformation", "us-west-2")
    first = client.describe_stacks()
    assert len(first["Stacks"]) == 50

    # when: the next page is asked for with it (and the same token in another Region)
    second = client.describe_stacks(NextToken=first["NextToken"])
    with pytest.raises(ClientError) as elsewhere:
        _client(emulated_aws, "cloudformation", "us-east-1").describe_stacks(NextToken=first["NextToken"])

    # then: the rest of the stacks; the token is only good where it was issued
    assert len(second["Stacks"]) == 5
    assert "NextToken" not in second
    assert elsewhere.value.response["Error"]["Code"] == "ValidationError"
    # and: it is opaque, as AWS's are (moto's own token is the last stack's ARN)
    assert first["NextToken"] != first["Stacks"][-1]["StackId"]
    assert "arn:" not in first["NextToken"]


def test_a_forged_ec2_next_token_is_invalid(emulated_aws: EmulatedAws) -> None:
    # given: an EC2 NextToken (moto issues none, and would ignore it)
    client = _client(emulated_aws, "ec2", "us-west-2")

    # when/then: AWS's answer for a token it did not issue
    with pytest.raises(ClientError) as raised:
        client.describe_images(Owners=["self"], NextToken="forged", MaxResults=5)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "NextToken" in raised.value.response["Error"]["Message"]
