"""pcluster_list_images_cdk: ParallelCluster-compatible listImages as a CDK construct, stack, client and CLI.

Import the construct, the stack and their option types from here::

    from pcluster_list_images_cdk import ListImagesApi, ListImagesStack

They need the ``[cdk]`` extra (aws-cdk-lib, constructs). A plain install (botocore only) still imports this
package: the names below are loaded on first use (PEP 562), so the ``list-images`` CLI and the client
(``pcluster_list_images_cdk.client``) never load aws_cdk.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .list_images_api import ListImagesApi
    from .monitoring import ListImagesMonitoring
    from .options import CustomDomain, ListImagesApiOptions, LoggingOptions, MonitoringOptions
    from .stack import ListImagesStack

# Public name -> the submodule defining it (relative to this package).
_EXPORTS = {
    "CustomDomain": ".options",
    "ListImagesApi": ".list_images_api",
    "ListImagesApiOptions": ".options",
    "ListImagesMonitoring": ".monitoring",
    "ListImagesStack": ".stack",
    "LoggingOptions": ".options",
    "MonitoringOptions": ".options",
}

# The keys of _EXPORTS (tests check it), written out for type checkers.
__all__ = [
    "CustomDomain",
    "ListImagesApi",
    "ListImagesApiOptions",
    "ListImagesMonitoring",
    "ListImagesStack",
    "LoggingOptions",
    "MonitoringOptions",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        value = getattr(import_module(module, __name__), name)
    except ModuleNotFoundError as error:
        if error.name is not None and error.name.split(".")[0] in {"aws_cdk", "constructs"}:
            raise ImportError(
                f"{name} needs the AWS CDK: install this package with its [cdk] extra "
                "(pip install 'pcluster-list-images-cdk[cdk]')"
            ) from error
        raise
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
