"""Trimmed botocore service models for the Lambda asset: each holds the one operation the runtime calls.

Creating a botocore client loads the service's whole model: EC2's has over 800 operations and 4,000 shapes,
and parsing it and building a client class with a method per operation is most of a cold start's work. The
runtime calls exactly one operation per service, so the asset ships, for each, a model with only that
operation, the shapes it reaches and the service's modeled errors (botocore adds an error's modeled fields to
any error response whose code names it, so they stay). Documentation is dropped: botocore uses it for
docstrings only. Everything else is the installed botocore's, byte for byte once loaded.

Regenerate after upgrading botocore (a test fails while they are stale)::

    .venv/bin/python -m tools.botocore_models          # write runtime/listimages/botocore_data/
    .venv/bin/python -m tools.botocore_models --check  # exit 1 when the shipped models are stale
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import botocore.session

from runtime.listimages.aws_session import BOTOCORE_DATA_DIR, OPERATION_BY_SERVICE

REPO = Path(__file__).resolve().parent.parent
MODELS_DIR = Path(BOTOCORE_DATA_DIR)
_SHAPE_REFERENCES = ("member", "key", "value")


def _without_documentation(node: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in node.items() if key != "documentation"}


def _referenced_shapes(shape: Mapping[str, Any]) -> Iterator[str]:
    for reference in _SHAPE_REFERENCES:
        if reference in shape:
            yield shape[reference]["shape"]
    for member in shape.get("members", {}).values():
        yield member["shape"]


def _trimmed_shape(shape: Mapping[str, Any]) -> dict[str, Any]:
    """``shape`` without its documentation nor its members' (a member named "documentation" stays)."""
    trimmed = _without_documentation(shape)
    for reference in _SHAPE_REFERENCES:
        if reference in trimmed:
            trimmed[reference] = _without_documentation(trimmed[reference])
    if "members" in trimmed:
        trimmed["members"] = {name: _without_documentation(ref) for name, ref in trimmed["members"].items()}
    return trimmed


def trimmed_model(full: Mapping[str, Any], operation: str) -> dict[str, Any]:
    """The service model ``full`` reduced to ``operation``, the shapes it reaches and the modeled errors."""
    operation_model = full["operations"][operation]
    roots = [operation_model[key]["shape"] for key in ("input", "output") if key in operation_model]
    roots += [error["shape"] for error in operation_model.get("errors", [])]
    roots += [name for name, shape in full["shapes"].items() if shape.get("exception")]
    kept: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name not in kept:
            kept.add(name)
            pending.extend(_referenced_shapes(full["shapes"][name]))
    return {
        **{key: value for key, value in full.items() if key not in ("operations", "shapes", "documentation")},
        "operations": {operation: _without_documentation(operation_model)},
        # In the full model's order: botocore iterates members in model order in places.
        "shapes": {name: _trimmed_shape(shape) for name, shape in full["shapes"].items() if name in kept},
    }


def model_files() -> dict[Path, str]:
    """The trimmed model of each service as the installed botocore defines it: relative path -> JSON text."""
    loader = botocore.session.get_session().get_component("data_loader")
    files = {}
    for service, operation in OPERATION_BY_SERVICE.items():
        api_version = loader.determine_latest_version(service, "service-2")
        # The file as botocore ships it (load_service_model would merge the "extras", added again at load).
        full = loader.load_data(f"{service}/{api_version}/service-2")
        text = json.dumps(trimmed_model(full, operation), separators=(",", ":"))
        files[Path(service, api_version, "service-2.json")] = text + "\n"
    return files


def stale_files(models_dir: Path = MODELS_DIR) -> list[Path]:
    """The model files under ``models_dir`` that are missing, differ from a fresh trim, or are left over."""
    expected = model_files()
    shipped = {path.relative_to(models_dir) for path in models_dir.rglob("*.json")}
    stale = [
        path
        for path, text in expected.items()
        if not (models_dir / path).is_file() or (models_dir / path).read_text(encoding="utf-8") != text
    ]
    return sorted(stale + [path for path in shipped if path not in expected])


def write_models(models_dir: Path = MODELS_DIR) -> list[Path]:
    """Write the trimmed models under ``models_dir`` (stale leftovers removed); returns the files written."""
    expected = model_files()
    for path in models_dir.rglob("*.json"):
        if path.relative_to(models_dir) not in expected:
            path.unlink()
    for path, text in expected.items():
        (models_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (models_dir / path).write_text(text, encoding="utf-8")
    return sorted(expected)


def main(argv: list[str] | None = None) -> int:
    """Write the trimmed models, or with ``--check`` report the stale ones (exit status 1)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report stale models (exit 1 if any)")
    arguments = parser.parse_args(argv)
    if arguments.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {MODELS_DIR / path}", file=sys.stderr)
        return 1 if stale else 0
    for path in write_models():
        print(MODELS_DIR / path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
