"""aws_session.py and the trimmed botocore models it ships: the runtime's clients come from models holding
only the operation it calls, and a client of a trimmed model behaves exactly like one of the full model: the
same request bytes, the same parsed answers and errors. A stale shipped model, or one that the botocore at
hand cannot use, is caught."""

from __future__ import annotations

import datetime
import functools
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.exceptions import InvalidRegionError as BotocoreInvalidRegionError
from botocore.loaders import Loader
from listimages import aws_session, sources
from listimages.aws_session import OPERATION_BY_SERVICE
from listimages.regions import _partitions

from tools import botocore_models
from tools.aws_answers import error_xml, response_xml

SERVICES = sorted(OPERATION_BY_SERVICE)
# The Regions botocore knows in every partition (pseudo-Regions such as aws-global left out, as the runtime
# does): endpoint resolution differs between partitions.
REGIONS = sorted(
    region
    for partition in _partitions()
    for region in partition.known_regions
    if not region.endswith("-global")
)
_FROZEN_NOW = datetime.datetime(2026, 1, 2, 3, 4, 5)


@pytest.fixture
def fresh_model_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A runtime that has not yet chosen between trimmed and full models, nor made its sessions (a session
    marks its first client's requests with where it found the credentials)."""
    monkeypatch.setattr(aws_session, "state", aws_session.TrimmedModelsState())
    for session in (aws_session._trimmed_models_session, aws_session._full_models_session):
        session.cache_clear()
    yield
    for session in (aws_session._trimmed_models_session, aws_session._full_models_session):
        session.cache_clear()


@pytest.fixture
def frozen_signing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signatures and invocation ids that do not change from one request to the next."""
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda remove_tzinfo=True: _FROZEN_NOW)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=1))


def _full_model_client(service: str, region: str, config: Config | None = None) -> Any:
    return aws_session._full_models_session().create_client(
        service, region_name=region, config=config or sources._client_config()
    )


def _trimmed_model_client(service: str, region: str, config: Config | None = None) -> Any:
    return aws_session.session_for(service).create_client(
        service, region_name=region, config=config or sources._client_config()
    )


def _answering(client: Any, status: int, body: bytes, sent: list[tuple[Any, ...]] | None = None) -> Any:
    """``client`` with every call answered by ``body`` (and each request's bytes recorded in ``sent``)."""

    class _Raw:
        def stream(self, **_: Any) -> Iterator[bytes]:
            yield body

    def answer(request: Any, **_: Any) -> AWSResponse:
        if sent is not None:
            headers = {name: _with_sorted_feature_ids(value) for name, value in request.headers.items()}
            sent.append((request.method, request.url, sorted(headers.items()), request.body))
        return AWSResponse(request.url, status, {}, _Raw())

    client.meta.events.register("before-send", answer)
    return client


def _with_sorted_feature_ids(header: str | bytes) -> str | bytes:
    """A User-Agent with its ``m/`` feature ids sorted: botocore writes them from a set, in no fixed order
    from one request to the next (the header is not signed)."""
    if not isinstance(header, bytes) or not header.startswith(b"Botocore/"):
        return header
    return b" ".join(
        b"m/" + b",".join(sorted(part[2:].split(b","))) if part.startswith(b"m/") else part
        for part in header.split(b" ")
    )


def _example(shape: Any, depth: int = 0) -> Any:
    """A value for ``shape`` with every member set (two entries per list), valid for botocore."""
    kind = shape.type_name
    if kind == "structure":
        return (
            {name: _example(member, depth + 1) for name, member in shape.members.items()} if depth < 6 else {}
        )
    if kind == "list":
        return [_example(shape.member, depth + 1) for _ in range(2)]
    if kind == "map":
        return {f"key-{n}": _example(shape.value, depth + 1) for n in range(2)}
    if kind == "string":
        return shape.enum[0] if shape.enum else f"{shape.name}-value"
    if kind in {"integer", "long"}:
        return max(7, int(shape.metadata.get("min", 0)))
    if kind in {"float", "double"}:
        return 1.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    if kind == "blob":
        return b"blob"
    raise AssertionError(f"no example for {kind}")


@functools.cache
def _operation(service: str) -> Any:
    return (
        botocore.session.get_session()
        .get_service_model(service)
        .operation_model(OPERATION_BY_SERVICE[service])
    )


def _parameter_sets(service: str) -> list[dict[str, Any]]:
    """The runtime's own parameters (first page and a later one), and every parameter of the operation."""
    every_parameter = _example(_operation(service).input_shape)
    if service == "ec2":
        runtime_params: dict[str, Any] = {
            "Owners": ["self"],
            "Filters": [
                {"Name": "tag-key", "Values": [sources.IMAGE_ID_TAG]},
                {"Name": f"tag:{sources.BUILD_STATUS_TAG}", "Values": [sources.AVAILABLE_BUILD_STATUS]},
            ],
            "MaxResults": 1000,
        }
    else:
        runtime_params = {}
    next_page = {**runtime_params, "NextToken": "eyJ2IjoxLCJvZmZzZXQiOjUwfQ==+/ page&token="}
    return [runtime_params, next_page, every_parameter]


def _sent_requests(client: Any, service: str) -> list[tuple[Any, ...]]:
    sent: list[tuple[Any, ...]] = []
    answer = response_xml(_operation(service), {})
    method = getattr(_answering(client, 200, answer, sent), sources_method(service))
    for params in _parameter_sets(service):
        method(**params)
    return sent


def sources_method(service: str) -> str:
    """The client method the runtime calls for ``service``."""
    return str(botocore.xform_name(OPERATION_BY_SERVICE[service]))


# --- the runtime uses the trimmed models ----------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_the_runtime_creates_its_clients_from_the_trimmed_models(
    service: str, fresh_model_state: None
) -> None:
    # When the runtime creates a client
    client = sources.create_botocore_client(service, "eu-west-3")

    # Then its model holds the one operation the runtime calls
    assert list(client.meta.service_model.operation_names) == [OPERATION_BY_SERVICE[service]]
    assert aws_session.state.usable


# --- the trimmed models are interchangeable with the full ones ---------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_requests_are_byte_identical_to_the_full_models_in_every_region(
    service: str, fresh_model_state: None, frozen_signing: None
) -> None:
    for region in REGIONS:
        # Given a client of each model in the Region
        full, trimmed = _full_model_client(service, region), _trimmed_model_client(service, region)

        # When each sends the runtime's requests, a later page's, and one with every parameter set
        sent_by_full, sent_by_trimmed = _sent_requests(full, service), _sent_requests(trimmed, service)

        # Then method, URL, every header (signature included) and body are the same bytes
        assert len(sent_by_full) == 3
        assert sent_by_trimmed == sent_by_full, region


@pytest.mark.parametrize("service", SERVICES)
def test_answers_parse_equal_to_the_full_models(service: str, fresh_model_state: None) -> None:
    # Given AWS's answer with every member of the output set, a next-page token included
    answer = _example(_operation(service).output_shape)
    assert "NextToken" in answer
    body = response_xml(_operation(service), answer)

    # When each model's client parses it
    parsed = [
        getattr(_answering(make(service, "us-east-1"), 200, body), sources_method(service))()
        for make in (_full_model_client, _trimmed_model_client)
    ]

    # Then both read the same thing, and it is the whole answer
    assert parsed[1] == parsed[0]
    parsed[0].pop("ResponseMetadata")
    assert parsed[0] == answer


_ERRORS = {
    "ec2": [
        (400, "InvalidParameterValue", "Invalid value 'x' for nextToken"),
        (401, "AuthFailure", "AWS was not able to validate the provided access credentials"),
        (403, "UnauthorizedOperation", "You are not authorized to perform this operation."),
        (503, "RequestLimitExceeded", "Request limit exceeded."),
    ],
    "cloudformation": [
        (400, "ValidationError", "Stack with id x does not exist"),
        (400, "LimitExceededException", "Rate exceeded"),
        (400, "Throttling", "Rate exceeded"),
        (403, "AccessDenied", "User is not authorized to perform: cloudformation:DescribeStacks"),
    ],
}


@pytest.mark.parametrize(("service", "error"), [(s, e) for s, errors in _ERRORS.items() for e in errors])
def test_aws_errors_parse_equal_to_the_full_models(
    service: str, error: tuple[int, str, str], fresh_model_state: None
) -> None:
    # Given AWS's error document (one attempt: the parse is what is compared, not the retries)
    status, code, message = error
    body = error_xml("ec2" if service == "ec2" else "query", code, message)
    single_attempt = Config(retries={"mode": "standard", "total_max_attempts": 1})

    # When each model's client receives it
    raised = []
    for make in (_full_model_client, _trimmed_model_client):
        client = _answering(make(service, "us-east-1", single_attempt), status, body)
        with pytest.raises(ClientError) as caught:
            getattr(client, sources_method(service))()
        raised.append(caught.value)

    # Then both raise the same error class with the same parsed response
    full, trimmed = raised
    assert type(trimmed).__name__ == type(full).__name__
    assert trimmed.response == full.response
    assert str(trimmed) == str(full)
    assert full.response["Error"]["Code"] == code


# --- the shipped models match the installed botocore -----------------------------------------------------


def test_the_shipped_models_are_those_of_the_installed_botocore() -> None:
    # Regenerate with `.venv/bin/python -m tools.botocore_models` after upgrading botocore.
    assert botocore_models.stale_files() == []


def test_a_stale_missing_or_left_over_model_is_reported(tmp_path: Path) -> None:
    # Given freshly generated models
    written = botocore_models.write_models(tmp_path)
    assert botocore_models.stale_files(tmp_path) == []

    # When one differs from the installed botocore's, one is missing and one is left over
    changed, missing = written
    model = json.loads((tmp_path / changed).read_text())
    model["shapes"].popitem()
    (tmp_path / changed).write_text(json.dumps(model))
    (tmp_path / missing).unlink()
    left_over = Path("sqs", "2012-11-05", "service-2.json")
    (tmp_path / left_over).parent.mkdir(parents=True)
    (tmp_path / left_over).write_text("{}")

    # Then each is reported
    assert botocore_models.stale_files(tmp_path) == sorted([changed, missing, left_over])


def test_a_trimmed_model_keeps_its_operation_the_shapes_it_reaches_and_the_modeled_errors() -> None:
    # Given a model with an operation, a shape only another operation uses, and a modeled error
    full = {
        "version": "2.0",
        "metadata": {"protocol": "query"},
        "documentation": "<p>service</p>",
        "operations": {
            "Read": {"name": "Read", "input": {"shape": "ReadInput"}, "documentation": "<p>op</p>"},
            "Write": {"name": "Write", "input": {"shape": "WriteInput"}},
        },
        "shapes": {
            "ReadInput": {
                "type": "structure",
                "members": {
                    "Names": {"shape": "NameList", "documentation": "<p>member</p>"},
                    "documentation": {"shape": "Text"},
                },
            },
            "NameList": {"type": "list", "member": {"shape": "Text", "documentation": "<p>entry</p>"}},
            "Text": {"type": "string", "documentation": "<p>shape</p>"},
            "WriteInput": {"type": "structure", "members": {}},
            "Busy": {"type": "structure", "members": {"Reason": {"shape": "Text"}}, "exception": True},
        },
    }

    # When it is trimmed to Read
    trimmed = botocore_models.trimmed_model(full, "Read")

    # Then Write and its input are gone, documentation too, and everything Read needs stays in model order
    assert trimmed == {
        "version": "2.0",
        "metadata": {"protocol": "query"},
        "operations": {"Read": {"name": "Read", "input": {"shape": "ReadInput"}}},
        "shapes": {
            "ReadInput": {
                "type": "structure",
                "members": {"Names": {"shape": "NameList"}, "documentation": {"shape": "Text"}},
            },
            "NameList": {"type": "list", "member": {"shape": "Text"}},
            "Text": {"type": "string"},
            "Busy": {"type": "structure", "members": {"Reason": {"shape": "Text"}}, "exception": True},
        },
    }


# --- a model this botocore cannot use: the full models, logged once ----------------------------------------


def _corrupt_json(directory: Path) -> None:
    for path in directory.rglob("service-2.json"):
        path.write_text("{not json")


def _missing_shape(directory: Path) -> None:
    for path in directory.rglob("service-2.json"):
        model = json.loads(path.read_text())
        model["shapes"] = {
            name: shape for name, shape in model["shapes"].items() if shape.get("type") != "list"
        }
        path.write_text(json.dumps(model))


def _older_api_version(directory: Path) -> None:
    # botocore then finds its own newer version, the full model: working, but not trimmed.
    for path in list(directory.rglob("service-2.json")):
        older = path.parent.parent / "2001-01-01" / path.name
        older.parent.mkdir()
        path.rename(older)
        path.parent.rmdir()


@pytest.mark.parametrize("breakage", [_corrupt_json, _missing_shape, _older_api_version])
def test_a_trimmed_model_this_botocore_cannot_use_gives_way_to_the_full_models_logged_once(
    breakage: Callable[[Path], None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fresh_model_state: None,
) -> None:
    # Given shipped models that this botocore cannot use
    botocore_models.write_models(tmp_path)
    breakage(tmp_path)
    monkeypatch.setattr(aws_session, "BOTOCORE_DATA_DIR", str(tmp_path))

    # When the runtime creates clients of both services, in two Regions
    with caplog.at_level(logging.WARNING, logger="listimages.aws_session"):
        created = [sources.create_botocore_client(s, r) for s in SERVICES for r in ("us-east-1", "eu-west-1")]

    # Then every client works from botocore's full model, and one warning says so
    assert all(len(client.meta.service_model.operation_names) > 1 for client in created)
    assert not aws_session.state.usable
    warnings = [record for record in caplog.records if record.name == "listimages.aws_session"]
    assert len(warnings) == 1
    assert "full service models" in warnings[0].getMessage()


def test_a_region_botocore_refuses_is_not_taken_for_a_broken_model(fresh_model_state: None) -> None:
    # When a client is asked for a name botocore refuses (the runtime validates Regions before this)
    with pytest.raises(BotocoreInvalidRegionError):
        sources.create_botocore_client("ec2", "not a region")

    # Then the trimmed models stay in use
    assert aws_session.state.usable
    assert list(sources.create_botocore_client("ec2", "us-east-1").meta.service_model.operation_names) == [
        "DescribeImages"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "endpoints",
        "partitions",
        "sdk-default-configuration",
        "_retry",
        "ec2/2016-11-15/endpoint-rule-set-1",  # gzip-compressed in botocore's data
        "ec2/2016-11-15/service-2",
        "cloudformation/2010-05-15/service-2",
    ],
)
def test_the_plain_json_reader_reads_what_botocores_reads(name: str) -> None:
    # Given botocore's data directory and ours, searched in the runtime's order
    search_paths = [aws_session.BOTOCORE_DATA_DIR, Loader.BUILTIN_DATA_PATH]

    # When a data file is read by botocore's JSON reader and by ours
    botocores = Loader(search_paths, include_default_search_paths=False).load_data(name)
    ours = Loader(
        search_paths, file_loader=aws_session.PlainJSONFileLoader(), include_default_search_paths=False
    )

    # Then the data are equal, key order included
    assert ours.load_data(name) == botocores
    assert json.dumps(ours.load_data(name)) == json.dumps(botocores)


def test_the_plain_json_reader_finds_nothing_where_there_is_nothing(tmp_path: Path) -> None:
    assert aws_session.PlainJSONFileLoader().load_file(str(tmp_path / "missing")) is None
