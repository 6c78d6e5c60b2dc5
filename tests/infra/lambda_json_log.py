"""Capture the runtime's log records as Lambda writes them with ``logging_format=JSON``.

Lambda's Python runtime formats each stdlib ``logging`` record as one JSON object: ``timestamp`` (UTC,
milliseconds, ``Z``), ``level`` (the level name), ``message`` (the formatted message), ``logger``,
``requestId`` (the invocation's id), for records with an exception ``errorType``, ``errorMessage``,
``stackTrace`` and ``location``, then every ``extra=`` attribute whose name is not one of those; fields
whose value is None are left out. ``LambdaJsonFormatter`` writes that shape, so the metric-filter
patterns can be checked against what CloudWatch Logs will really receive.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has (plus what Formatter.format adds); not ``extra=`` fields.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {
    "message",
    "asctime",
    "aws_request_id",
}


class LambdaJsonFormatter(logging.Formatter):
    """One Lambda-style JSON line per record; ``request_id`` plays the invocation's ``requestId``."""

    def __init__(self, request_id: str) -> None:
        super().__init__()
        self.request_id = request_id

    def format(self, record: logging.LogRecord) -> str:
        """The record as the JSON object Lambda's JSON log format writes."""
        error = record.exc_info
        fields: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")[:-6]
            + "Z",
            "level": logging.getLevelName(record.levelno),
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": self.request_id,
        }
        if error and error[0] is not None:
            fields["errorType"] = error[0].__name__
            fields["errorMessage"] = str(error[1])
            fields["stackTrace"] = traceback.format_tb(error[2])
            fields["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and name not in fields:
                fields[name] = value
        return json.dumps({name: value for name, value in fields.items() if value is not None}, default=str)


@contextmanager
def lambda_json_log(
    logger_name: str = "listimages", request_id: str = "lambda-request-id"
) -> Iterator[list[str]]:
    """Collect, as Lambda JSON lines, every record ``logger_name`` and its children log at INFO and above."""
    lines: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = _Collect(logging.INFO)
    handler.setFormatter(LambdaJsonFormatter(request_id))
    logger = logging.getLogger(logger_name)
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)  # Lambda's application log level (ListImagesApi's default)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
