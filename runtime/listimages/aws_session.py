"""The botocore session every client comes from, with the trimmed service models shipped beside this module.

botocore loads a service's whole model to create a client: EC2's holds over 800 operations and 4,000 shapes,
and loading it and building a client class with a method per operation was most of a cold start. The asset
ships, in ``botocore_data/`` (botocore's own layout), a model of each service holding only the operation we
call and the shapes it reaches (``tools/botocore_models.py`` generates them from botocore's own). botocore's
loader searches ``data_path`` before its own data, so those models shadow the full ones; nothing else changes.

If a trimmed model cannot be used with the botocore at hand (Lambda's runtime ships its own), every client
from then on comes from botocore's full models, and that is logged once.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from botocore.loaders import JSONFileLoader, Loader
from botocore.model import ServiceModel

logger = logging.getLogger(__name__)

BOTOCORE_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "botocore_data")
# The one AWS operation the runtime calls in each service (sources.py): all that a trimmed model holds.
OPERATION_BY_SERVICE = {"ec2": "DescribeImages", "cloudformation": "DescribeStacks"}


@functools.cache
def _full_models_session() -> Any:
    # Imported here: the session is needed for the first AWS call, not when the handler is imported.
    import botocore.session  # noqa: PLC0415

    return botocore.session.get_session()


class PlainJSONFileLoader(JSONFileLoader):  # type: ignore[misc]
    """botocore's JSON file loader, with JSON objects read as plain dicts (ordered, like every dict) instead
    of OrderedDicts: botocore's 1.2 MB endpoints.json, read for every session's first client, parses in about
    half the time. botocore's model classes build their own OrderedDicts where they keep one."""

    def load_file(self, file_path: str) -> Any:
        """The data of ``file_path`` + ``.json`` (or ``.json.gz``), or None when neither exists."""
        for extension, opener in ((".json", open), (".json.gz", gzip.open)):
            if os.path.isfile(file_path + extension):
                with opener(file_path + extension, "rb") as file:
                    return json.loads(file.read())
        return None


# The JSON reader of the trimmed models' session (the benchmark swaps in botocore's own to measure the gain).
FILE_LOADER_CLASS: type[JSONFileLoader] = PlainJSONFileLoader


@functools.cache
def _trimmed_models_session() -> Any:
    import botocore.session  # noqa: PLC0415

    session = botocore.session.get_session()
    # Our directory is searched before botocore's own data (instead of AWS_DATA_PATH, unset in Lambda).
    loader = Loader(extra_search_paths=[BOTOCORE_DATA_DIR], file_loader=FILE_LOADER_CLASS())
    session.register_component("data_loader", loader)
    return session


@dataclass
class TrimmedModelsState:
    """Whether the trimmed models are in use (one failure switches every later client to the full ones), and
    the services whose trimmed model has been checked."""

    usable: bool = True
    checked: set[str] = field(default_factory=set)


state = TrimmedModelsState()


def _walk_shapes(shape: Any, seen: set[str]) -> None:
    """Resolve every shape reachable from ``shape``: a model the botocore at hand cannot read fails here."""
    if shape is None or shape.name in seen:
        return
    seen.add(shape.name)
    for member in getattr(shape, "members", {}).values():
        _walk_shapes(member, seen)
    for reference in ("member", "key", "value"):
        _walk_shapes(getattr(shape, reference, None), seen)


def _check_trimmed_model(session: Any, service: str) -> None:
    """Load ``service``'s trimmed model as botocore will; raise if it cannot be read or is not ours."""
    # Loaded as the client will load it (same call, so the client reuses the loader's cached copy).
    data = session.get_component("data_loader").load_service_model(service, "service-2", api_version=None)
    model = ServiceModel(data, service_name=service)
    operation = model.operation_model(OPERATION_BY_SERVICE[service])
    seen: set[str] = set()
    for shape in (operation.input_shape, operation.output_shape, *operation.error_shapes):
        _walk_shapes(shape, seen)
    if list(model.operation_names) != [OPERATION_BY_SERVICE[service]]:
        # This botocore found a newer API version of its own: it works, but the cold start is not trimmed.
        raise LookupError(f"botocore loaded its own {service} model, not the trimmed one")


def session_for(service: str) -> Any:
    """The botocore session to create ``service``'s clients with: the trimmed models unless they failed."""
    if state.usable and service in OPERATION_BY_SERVICE:
        session = _trimmed_models_session()
        if service in state.checked:
            return session
        try:
            _check_trimmed_model(session, service)
        except Exception as error:  # whatever a botocore of another version raises on our model
            state.usable = False
            import botocore  # noqa: PLC0415

            logger.warning(
                "Using botocore's full service models: the trimmed %s model cannot be used with botocore %s "
                "(%s: %s)",
                service,
                botocore.__version__,
                type(error).__name__,
                error,
            )
        else:
            state.checked.add(service)
            return session
    return _full_models_session()
