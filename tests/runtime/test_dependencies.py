"""The runtime uses only the standard library and boto3 (botocore and what it brings), and its imports
inside the package are relative (the wheel ships it as pcluster_list_images_cdk.runtime.listimages)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "runtime" / "listimages"
# boto3 as the Lambda runtime provides it: boto3, botocore and botocore's own dependencies (certifi is
# imported by botocore when it is installed).
BOTO3_DISTRIBUTION = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "certifi"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every import statement of a file; level > 0 for relative imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or ""))
    return found


def test_runtime_source_imports_only_stdlib_botocore_and_itself_relatively() -> None:
    # Given every module of the runtime package
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 7

    # Then every absolute import is the standard library or botocore/boto3, and the package's own modules
    # are imported relatively
    for path in modules:
        for level, module in _imports(path):
            if level:
                continue
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or top in {"botocore", "boto3"}, (path.name, module)
            assert top != "listimages", (path.name, module)


def _loaded_modules(statement: str) -> set[str]:
    probe = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    output = subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)},
    ).stdout
    return set(json.loads(output))


def test_importing_the_handler_loads_nothing_beyond_stdlib_and_boto3() -> None:
    # Given what a bare interpreter has loaded (site hooks of this environment included)
    baseline = _loaded_modules("pass")

    # When the handler module is imported in a fresh interpreter
    loaded = _loaded_modules("import listimages.handler")

    # Then every newly loaded top-level module is stdlib, boto3's distribution, or the package itself
    new_top_level = {name.split(".")[0] for name in loaded - baseline}
    assert new_top_level - set(sys.stdlib_module_names) - BOTO3_DISTRIBUTION - {"listimages"} == set()
    # and the heavy parts of botocore (session, clients, service models) wait for the first request
    assert {"botocore.session", "botocore.client", "boto3"}.isdisjoint(loaded)


# A bare botocore client making the runtime's first call, answered without a network.
_FIRST_AWS_CALL = """
import botocore.session
from botocore.awsrequest import AWSResponse

class Raw:
    def stream(self, **_):
        yield b'<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><imagesSet/></DescribeImagesResponse>'

client = botocore.session.get_session().create_client("ec2", region_name="us-east-1")
client.meta.events.register("before-send", lambda request, **_: AWSResponse(request.url, 200, {}, Raw()))
client.describe_images(Owners=["self"])
"""


def test_the_handler_imports_nothing_that_its_first_aws_call_does_not_need() -> None:
    # Given every module that botocore loads to make the first call (a cold start cannot avoid them)
    first_call = _loaded_modules(f"exec({_FIRST_AWS_CALL!r})")

    # When the handler module is imported in a fresh interpreter
    loaded = _loaded_modules("import listimages.handler")

    # Then it loads nothing beyond those and its own package: no import is paid for before it is needed
    own = {name for name in loaded if name.split(".")[0] == "listimages"}
    assert loaded - own - first_call == set()
