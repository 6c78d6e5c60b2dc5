"""Typed errors of the listImages library.

The library raises only these; the HTTP handler maps each family to one status code in one place:
``InvalidInputError`` → 400, ``ThrottledError`` → 429, every other ``ListImagesError`` (and anything
unexpected) → 500.
The ``message`` of an ``InvalidInputError`` is safe to show to callers; the others carry internal detail that
belongs in the log only.
"""

from __future__ import annotations

_ECHO_LIMIT = 80


def _echo(value: str) -> str:
    """A caller-supplied value, shortened so that an error message stays readable."""
    return value if len(value) <= _ECHO_LIMIT else value[:_ECHO_LIMIT] + "..."


class ListImagesError(Exception):
    """Base class of every error the library raises on purpose."""


class InvalidInputError(ListImagesError):
    """The request is wrong; ``message`` says why and is safe to return to the caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MissingImageStatusError(InvalidInputError):
    """``imageStatus`` was not given."""

    def __init__(self) -> None:
        super().__init__("Bad Request: Missing query parameter 'imageStatus'")


class InvalidImageStatusError(InvalidInputError):
    """``imageStatus`` is not one of the accepted values."""

    def __init__(self, value: str, accepted: tuple[str, ...]) -> None:
        super().__init__(f"Bad Request: '{_echo(value)}' is not one of {list(accepted)}")


class InvalidRegionError(InvalidInputError):
    """The Region is not a Region of the function's partition, or not in the deployment's allow-list."""

    def __init__(self, value: str) -> None:
        super().__init__(f"Bad Request: invalid or unsupported region '{_echo(value)}'")


class RegionNotEnabledError(InvalidInputError):
    """AWS refused the credentials in that Region: the Region is not enabled (opted in) for the account."""

    def __init__(self, region: str) -> None:
        super().__init__(f"Bad Request: region '{region}' is not enabled for this account")


class RegionUnreachableError(InvalidInputError):
    """The Region's endpoint could not be reached."""

    def __init__(self, region: str) -> None:
        super().__init__(f"Bad Request: region '{region}' is unreachable")


class InvalidTokenError(InvalidInputError):
    """``nextToken`` is malformed, belongs to another imageStatus/region, or was rejected by AWS."""

    def __init__(self) -> None:
        super().__init__("Bad Request: invalid nextToken")


class InvalidRequestBodyError(InvalidInputError):
    """The request body is not a JSON object of string values."""


class ConflictingParameterError(InvalidInputError):
    """A parameter is given in the query string and in the body with different values."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Bad Request: '{name}' has different values in the query string and the body")


class RepeatedParameterError(InvalidInputError):
    """A parameter is given more than once (in the query string, or as a duplicate key of the body).

    SigV4 sorts a canonical query by name and then value, so reordering the repeated values of a captured
    request keeps its signature valid: any choice among them would let that reordering change its meaning.
    """

    def __init__(self, name: str) -> None:
        super().__init__(f"Bad Request: repeated query parameter '{name}'")


class ThrottledError(ListImagesError):
    """AWS throttled the request beyond the client's retries; the caller should retry later."""


class UpstreamError(ListImagesError):
    """AWS failed in a way the caller cannot fix (access denied, 5xx, timeouts); detail is for the log."""


class ConfigurationError(ListImagesError):
    """The deployment's configuration (environment) is invalid."""
