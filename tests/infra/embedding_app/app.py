#!/usr/bin/env python3
"""A separate CDK app that embeds ListImagesApi twice in one larger stack, as a user of the wheel would.

It imports only the installed package ``pcluster_list_images_cdk`` (never this repository's ``infra``);
tests/infra/test_embedding.py runs it with the python of a fresh virtual environment holding the wheel.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct
from pcluster_list_images_cdk.list_images_api import ListImagesApi


class ImagePlatformStack(cdk.Stack):
    """A platform stack of its own (an image-builder role) with one listImages API per environment."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        """Create the builder role and two APIs, each invokable by that role, each with its own outputs."""
        super().__init__(scope, construct_id)
        image_builders = iam.Role(self, "ImageBuilders", assumed_by=iam.AccountRootPrincipal())
        production = ListImagesApi(self, "ProductionImages")
        staging = ListImagesApi(self, "StagingImages", stage_name="staging", page_size=100)
        for prefix, api in (("Production", production), ("Staging", staging)):
            api.grant_invoke(image_builders)
            api.add_outputs(logical_id_prefix=prefix)


app = cdk.App()
ImagePlatformStack(app, "ImagePlatform")
app.synth()
