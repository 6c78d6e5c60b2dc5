"""ListImagesStack: one deployable stack holding one ListImagesApi and its outputs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from aws_cdk import Stack
from constructs import Construct

from .list_images_api import ListImagesApi
from .options import ListImagesApiOptions, MonitoringOptions

__all__ = ["ListImagesStack"]


class ListImagesStack(Stack):
    """Composes ``ListImagesApi`` and publishes its URLs, function name and invoker role as outputs.

    Unlike the bare construct, the stack creates the account-level API Gateway CloudWatch role unless
    ``cloud_watch_role=False`` is set explicitly: it is the one-command deploy, and the stage's access logs
    cannot deploy in an account and Region without that role.

    Alarms and the dashboard are off until ``monitoring`` asks for them (``MonitoringOptions``): alarms as
    soon as they have somewhere to go, the dashboard only on request (see docs/operations.md).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_options: ListImagesApiOptions | Callable[[Stack], ListImagesApiOptions] | None = None,
        monitoring: MonitoringOptions | Callable[[Stack], MonitoringOptions] | None = None,
        **stack_options: Any,
    ) -> None:
        """Create the stack.

        Parameters
        ----------
        api_options:
            The construct's options (defaults are secure), or a function that makes them given this stack:
            references imported from ARNs (``kms.Key.from_key_arn(stack, ...)``) need the stack as scope,
            which does not exist before this call (app.py maps its context this way).
        monitoring:
            Alarms and dashboard (``MonitoringOptions``), or a function making them given this stack (an
            existing topic is imported into it).
        stack_options:
            Keyword arguments of ``aws_cdk.Stack`` (``env``, ``description``, ...).
        """
        super().__init__(scope, construct_id, **stack_options)
        options = api_options(self) if callable(api_options) else (api_options or ListImagesApiOptions())
        if options.cloud_watch_role is None:
            options = dataclasses.replace(options, cloud_watch_role=True)
        fields = {field.name: getattr(options, field.name) for field in dataclasses.fields(options)}
        self.list_images = ListImagesApi(self, "ListImages", **fields)
        # The stack holds one instance: its outputs keep the short ids (ApiUrl, ...) the docs name.
        self.list_images.add_outputs(logical_id_prefix="")
        self._add_monitoring(monitoring(self) if callable(monitoring) else monitoring or MonitoringOptions())

    def _add_monitoring(self, options: MonitoringOptions) -> None:
        if options.alarms_enabled:
            self.list_images.add_alarms(
                topic=options.alarm_topic, email_addresses=options.alarm_email_addresses
            )
        if options.dashboard:
            self.list_images.add_dashboard()
