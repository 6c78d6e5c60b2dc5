"""The package's one import path, and a top level that loads aws_cdk only when a CDK name is used."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pcluster_list_images_cdk
from pcluster_list_images_cdk import (
    CustomDomain,
    ListImagesApi,
    ListImagesApiOptions,
    ListImagesMonitoring,
    ListImagesStack,
    LoggingOptions,
    MonitoringOptions,
)

# Run in a child interpreter where importing aws_cdk or constructs fails, as in a plain (no [cdk]) install.
_WITHOUT_CDK = """
import sys
sys.modules["aws_cdk"] = None  # `import aws_cdk` now raises ModuleNotFoundError
sys.modules["constructs"] = None
"""


def run_without_cdk(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_CDK + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_exported_name_resolves_from_the_top_level() -> None:
    # given the package's declared exports; when each is looked up on the package
    resolved = {name: getattr(pcluster_list_images_cdk, name) for name in pcluster_list_images_cdk.__all__}
    # then each is the class of that name, and __all__ lists exactly the lazily loaded table
    assert resolved == {
        "CustomDomain": CustomDomain,
        "ListImagesApi": ListImagesApi,
        "ListImagesApiOptions": ListImagesApiOptions,
        "ListImagesMonitoring": ListImagesMonitoring,
        "ListImagesStack": ListImagesStack,
        "LoggingOptions": LoggingOptions,
        "MonitoringOptions": MonitoringOptions,
    }
    assert sorted(pcluster_list_images_cdk.__all__) == sorted(pcluster_list_images_cdk._EXPORTS)


def test_an_unknown_name_is_an_attribute_error() -> None:
    # given a name the package does not export; when it is looked up; then AttributeError, as for any module
    assert not hasattr(pcluster_list_images_cdk, "ListImagesAPI")


def test_the_package_and_its_cli_import_without_aws_cdk() -> None:
    # given an interpreter without aws_cdk; when the package and the CLI module are imported
    completed = run_without_cdk(
        """
        import pcluster_list_images_cdk
        import pcluster_list_images_cdk.client.cli
        loaded = [name for name, module in sys.modules.items() if module is not None]
        print(sorted(name for name in loaded if name.startswith(("aws_cdk", "constructs", "jsii"))))
        """
    )
    # then both import, and nothing of the CDK was loaded
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


def test_a_cdk_name_without_aws_cdk_says_to_install_the_cdk_extra() -> None:
    # given an interpreter without aws_cdk; when the construct is imported from the package
    completed = run_without_cdk("from pcluster_list_images_cdk import ListImagesApi")
    # then the error names the extra to install
    assert completed.returncode == 1
    assert "ImportError: ListImagesApi needs the AWS CDK" in completed.stderr
    assert "[cdk]" in completed.stderr
