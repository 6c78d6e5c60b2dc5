#!/usr/bin/env python3
"""A CDK app of its own that embeds ListImagesApi twice in one stack, under cdk-nag's AwsSolutions pack.

``Images`` is the construct at its defaults. ``SecureImages`` encrypts its logs with a KMS key of this
stack and serves a custom domain whose certificate and hosted zone are made here too; it also sets the
account-level API Gateway CloudWatch role, which both need (drop ``cloud_watch_role=True`` where that
role is managed elsewhere). docs/embedding.md walks through installing and synthesizing it.

``-c custom-domain=false`` leaves the domain, its zone and certificate out: for a first deploy without a
zone of your own, and on moto, which cannot create API Gateway domain names (docs/deploy-on-moto.md).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_kms as kms
from aws_cdk import aws_route53 as route53
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from pcluster_list_images_cdk import CustomDomain, ListImagesApi, LoggingOptions

ZONE_NAME = "example.com"
DOMAIN_NAME = f"images.{ZONE_NAME}"


class ImagePlatformStack(cdk.Stack):
    """Two listImages APIs beside the key, zone and certificate the second one uses."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)

        # The construct at its defaults: IAM-authorized, REGIONAL, logs with CloudWatch Logs' own keys.
        ListImagesApi(self, "Images").add_outputs()

        # Objects of this stack passed straight in: the construct lets CloudWatch Logs use the key.
        log_key = kms.Key(self, "LogKey", enable_key_rotation=True, description="listImages log groups")
        with_domain = str(self.node.try_get_context("custom-domain")).lower() != "false"
        secure = ListImagesApi(
            self,
            "SecureImages",
            logging=LoggingOptions(encryption_key=log_key),
            domain=self._custom_domain() if with_domain else None,
            cloud_watch_role=True,
        )
        secure.add_outputs()

    def _custom_domain(self) -> CustomDomain:
        """DOMAIN_NAME in a zone of this stack, with a certificate validated through that zone."""
        zone = route53.PublicHostedZone(self, "Zone", zone_name=ZONE_NAME)
        certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=DOMAIN_NAME,
            validation=acm.CertificateValidation.from_dns(zone),
        )
        return CustomDomain(
            domain_name=DOMAIN_NAME,
            certificate=certificate,
            hosted_zone=zone,
            disable_execute_api_endpoint=True,
        )


app = cdk.App()
ImagePlatformStack(app, "ImagePlatform")
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
