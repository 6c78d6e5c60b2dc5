#!/usr/bin/env python3
"""A separate CDK app that embeds ListImagesApi twice in one larger stack, as a user of the wheel would.

It imports only the installed package ``pcluster_list_images_cdk`` (never this repository's ``infra``) and
enforces the same cdk-nag packs as the project's own app: the construct's acknowledgments must travel with
it, so the only acknowledgment here is for the app's own resource. Each instance also gets its alarms and
dashboard, so two monitored instances must fit in one stack too. tests/infra/test_embedding.py runs it
with the python of a fresh virtual environment holding the wheel.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks
from constructs import Construct

from pcluster_list_images_cdk import ListImagesApi


class ImagePlatformStack(cdk.Stack):
    """A platform stack of its own (an image-builder role) with two listImages APIs."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        """Create the builder role and two APIs with the same options, each invokable by that role."""
        super().__init__(scope, construct_id)
        image_builders = iam.Role(self, "ImageBuilders", assumed_by=iam.AccountRootPrincipal())
        for prefix in ("Production", "Staging"):
            api = ListImagesApi(self, f"{prefix}Images")
            api.grant_invoke(image_builders)
            api.add_outputs(logical_id_prefix=prefix)
            # Operators' view of each: alarms on a topic of its own, a dashboard (docs/operations.md).
            api.add_alarms()
            api.add_dashboard()
        cdk.Validations.of(image_builders.node.find_child("DefaultPolicy")).acknowledge(
            cdk.Acknowledgment(
                id="NIST.800.53.R5-IAMNoInlinePolicy",
                reason="The builders' one grant: execute-api:Invoke on the four GET methods of both APIs.",
            )
        )


app = cdk.App()
ImagePlatformStack(app, "ImagePlatform")
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app), NIST80053R5Checks(app))
app.synth()
