"""ListImagesStack: one deployable stack holding one ListImagesApi and its outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Stack
from constructs import Construct

from .list_images_api import ListImagesApi

__all__ = ["ListImagesStack"]


class ListImagesStack(Stack):
    """Composes ``ListImagesApi`` and publishes its URLs, function name and invoker role as outputs.

    Unlike the bare construct, the stack creates the account-level API Gateway CloudWatch role by
    default (``create_account_cloud_watch_role=True``): it is the one-command deploy, and the stage's
    access logs cannot deploy in an account and Region without that role. Pass
    ``api_options={"create_account_cloud_watch_role": False}`` where that singleton is managed elsewhere.
    """

    DEFAULT_API_OPTIONS: Mapping[str, Any] = {"create_account_cloud_watch_role": True}

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_options: Mapping[str, Any] | None = None,
        **stack_options: Any,
    ) -> None:
        """Create the stack.

        Parameters
        ----------
        api_options:
            Keyword arguments of ``ListImagesApi`` (see its docstring); defaults are secure. They
            override ``DEFAULT_API_OPTIONS``.
        stack_options:
            Keyword arguments of ``aws_cdk.Stack`` (``env``, ``description``, ...).
        """
        super().__init__(scope, construct_id, **stack_options)
        options = {**self.DEFAULT_API_OPTIONS, **(api_options or {})}
        self.list_images = ListImagesApi(self, "ListImages", **options)
        self.list_images.add_outputs()
