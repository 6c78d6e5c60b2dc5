"""Run a CDK app file as ``python <app>`` would, then report where the construct and its asset came from.

Usage: ``python probe.py <app.py> <report.json>``. Run by tests/infra/test_embedding.py with the python of a
fresh virtual environment, so the report describes what that environment really imported: every loaded
module of the package (and any ``infra`` / ``runtime`` / ``listimages`` / editable-install module, which
must not be there), the import finders, and each asset's source path as CDK's asset staging saw it.
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import aws_cdk as cdk

WATCHED_TOP_LEVEL_MODULES = ("pcluster_list_images_cdk", "infra", "runtime", "listimages")


def main(app_file: str, report_file: str) -> None:
    """Synthesize ``app_file`` (it calls ``app.synth()`` itself) and write the report to ``report_file``."""
    namespace = runpy.run_path(app_file, run_name="__main__")
    app: cdk.App = namespace["app"]
    stagings = [node for node in app.node.find_all() if isinstance(node, cdk.AssetStaging)]
    report = {
        "modules": {
            name: getattr(module, "__file__", None)
            for name, module in sorted(sys.modules.items())
            if name.split(".")[0] in WATCHED_TOP_LEVEL_MODULES or "__editable__" in name
        },
        "meta_path": [repr(finder) for finder in sys.meta_path],
        "sys_path": sys.path,
        "asset_stagings": [
            {
                "construct_path": staging.node.path,
                "source_path": staging.source_path,
                "staged_path": staging.absolute_staged_path,
            }
            for staging in stagings
        ],
    }
    Path(report_file).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
