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
import logging
import os
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

BOTOCORE_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "botocore_data")
# The one AWS operation the runtime calls in each service (sources.py): all that a trimmed model holds.
OPERATION_BY_SERVICE = {"ec2": "DescribeImages", "cloudformation": "DescribeStacks"}


@functools.cache
def _full_models_session() -> Any:
    # Imported here: the session is needed for the first AWS call, not when the handler is imported.
    import botocore.session  # noqa: PLC0415

    return botocore.session.get_session()


@functools.cache
def _trimmed_models_session() -> Any:
    import botocore.session  # noqa: PLC0415

    session = botocore.session.get_session()
    # Searched before botocore's own data (and instead of AWS_DATA_PATH, which Lambda does not set).
    session.set_config_variable("data_path", BOTOCORE_DATA_DIR)
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
    model = session.get_service_model(service)
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
