"""The moto limit that keeps custom domains out of the deploy proof, pinned so an upgrade shows up.

moto 5.2.5's CloudFormation has no model for ``AWS::ApiGateway::DomainName`` (nor for ``BasePathMapping``
or ``AWS::CertificateManager::Certificate``), and an ``Fn::GetAtt`` on a resource it did not create fails
the whole stack. The alias record of a custom domain reads the domain's regional name that way, so no
custom-domain configuration deploys on moto. When this test fails, moto has learnt the type: add a
custom-domain configuration to test_deploy.py's cases.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.deploy.moto_readback import MotoReader

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse .* not supported by moto:UserWarning")

# The shape ListImagesApi synthesizes for a custom domain in a hosted zone, cut to what moto trips on.
ALIASED_DOMAIN_TEMPLATE = {
    "Resources": {
        "Zone": {"Type": "AWS::Route53::HostedZone", "Properties": {"Name": "example.com"}},
        "Domain": {
            "Type": "AWS::ApiGateway::DomainName",
            "Properties": {
                "DomainName": "images.example.com",
                "EndpointConfiguration": {"Types": ["REGIONAL"]},
                "RegionalCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/example",
            },
        },
        "Alias": {
            "Type": "AWS::Route53::RecordSet",
            "Properties": {
                "HostedZoneId": {"Ref": "Zone"},
                "Name": "images.example.com.",
                "Type": "A",
                "AliasTarget": {
                    "DNSName": {"Fn::GetAtt": ["Domain", "RegionalDomainName"]},
                    "HostedZoneId": {"Fn::GetAtt": ["Domain", "RegionalHostedZoneId"]},
                },
            },
        },
    }
}


def test_moto_cannot_create_an_alias_record_for_an_api_gateway_domain_name(moto: MotoReader) -> None:
    # given moto's CloudFormation
    cloudformation = moto.client("cloudformation")
    # when a stack aliases a record to an API Gateway domain name
    with pytest.raises(ClientError) as raised:
        cloudformation.create_stack(
            StackName="MotoLimitAliasedDomain", TemplateBody=json.dumps(ALIASED_DOMAIN_TEMPLATE)
        )
    # then the stack fails on the domain name it could not create
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert raised.value.response["Error"]["Message"] == (
        "Template error: instance of Fn::GetAtt references undefined resource Domain"
    )
