"""The whole local endpoint: emulated AWS with sample images, and the local API Gateway in front of it."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from client.local_endpoint import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY, LOCAL_SIGNING_REGION

from . import sigv4
from .emulator import EmulatedAws, environment
from .faults import Fault
from .gateway import LocalApiGateway
from .sample_data import DEFAULT_ACCOUNT_ID, SampleCatalog, SampleCounts, seed_sample_images
from .sigv4 import LocalCredentials
from .template import ApiDefinition, TemplateError, api_from_template

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "runtime"
DEFAULT_REGION = LOCAL_SIGNING_REGION
#: The emulator's well-known fake key pair: `ListImagesClient.local()` and `list-images --local` sign with it.
EMULATOR_CREDENTIALS = LocalCredentials(
    access_key=LOCAL_ACCESS_KEY_ID,
    secret_key=LOCAL_SECRET_ACCESS_KEY,
    account_id=DEFAULT_ACCOUNT_ID,
    user_arn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:user/local-developer",
    user_id="AIDALOCALDEVELOPER0001",
)
_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_CLOUDFORMATION")
_PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class LocalEndpoint:
    """The API of a synthesized template served on 127.0.0.1, on emulated (or real) AWS.

    Parameters
    ----------
    template:
        The synthesized template (dict); routes, stage, function handler, timeout and environment
        come from it.
    code_root:
        The Lambda asset root (default: the repository's ``runtime/``).
    region:
        The API's (and the function's home) Region.
    port:
        The port on 127.0.0.1 (0 picks a free one), or a socket already bound there by
        :func:`local.servers.bind_local_port` (the endpoint then owns and closes it).
    page_size:
        Overrides the function's LIST_IMAGES_PAGE_SIZE (small values make pagination visible).
    real_aws:
        Use real AWS with the ambient credentials instead of the emulator (no sample data).
    verify_sigv4:
        Check SigV4 signatures on AWS_IAM methods (against :attr:`credentials`).
    faults:
        Region -> fault injected into every emulated AWS call for that Region (emulator only).
    sample_counts:
        How many sample images to plant per Region (default: :data:`local.sample_data.DEFAULT_COUNTS`).

    Attributes
    ----------
    base_url:
        ``http://127.0.0.1:<port>/<stage>``.
    credentials:
        The key pair signatures are verified against (the emulator's fake pair, which has no session
        token, or the ambient credentials with their session token, if any).
    catalog:
        What the emulator was seeded with (None with ``real_aws``).
    api:
        The routes read from the template.

    Example
    -------
    >>> with LocalEndpoint(template, page_size=5) as endpoint:
    ...     url = endpoint.url("/images/custom", imageStatus="AVAILABLE")
    ...     headers = endpoint.sign("GET", url)
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        code_root: Path = RUNTIME_DIR,
        region: str = DEFAULT_REGION,
        port: int | socket.socket = 0,
        page_size: int | None = None,
        real_aws: bool = False,
        verify_sigv4: bool = True,
        faults: Mapping[str, Fault] | None = None,
        sample_counts: Mapping[str, SampleCounts] | None = None,
    ) -> None:
        if real_aws and faults:
            raise ValueError("faults are injected into the emulator only")
        self.api: ApiDefinition = api_from_template(template)
        self.region = region
        self.real_aws = real_aws
        self.faults: dict[str, Fault] = dict(faults or {})
        self.catalog: SampleCatalog | None = None
        self.credentials: LocalCredentials = EMULATOR_CREDENTIALS
        self._code_root = code_root
        self._port = port
        self._page_size = page_size
        self._verify_sigv4 = verify_sigv4
        self._sample_counts = sample_counts
        self._resources = ExitStack()
        self._gateway: LocalApiGateway | None = None
        self._emulator: EmulatedAws | None = None

    @property
    def gateway(self) -> LocalApiGateway:
        """The running gateway (after :meth:`start`)."""
        if self._gateway is None:
            raise RuntimeError("the local endpoint is not started")
        return self._gateway

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/<stage>``, like the deployed stack's API URL."""
        return self.gateway.base_url

    @property
    def emulated_aws(self) -> EmulatedAws | None:
        """The emulator (None with ``real_aws``)."""
        return self._emulator

    def start(self) -> LocalEndpoint:
        """Bind the port, start the emulator and seed it, point the function at it, serve; returns self."""
        try:
            overrides = self._function_environment()
            if self.real_aws:
                self.credentials = _ambient_credentials()
            # Bound first: a busy port fails before the emulator has started.
            self._gateway = LocalApiGateway(
                self.api,
                self._code_root,
                region=self.region,
                account_id=None if self.real_aws else DEFAULT_ACCOUNT_ID,
                credentials=self.credentials if self._verify_sigv4 else None,
                port=self._port,
            )
            self._resources.callback(self._gateway.stop)
            if self.real_aws:
                overrides.update(dict.fromkeys(_ENDPOINT_VARIABLES))
            else:
                self._emulator = EmulatedAws(self.faults).start()
                self._resources.callback(self._emulator.stop)
                self.catalog = seed_sample_images(self._sample_counts)
                # The function must never send anybody's real credentials anywhere, even to localhost.
                overrides.update(dict.fromkeys(_ENDPOINT_VARIABLES + _PROFILE_VARIABLES))
                overrides.update(
                    AWS_ENDPOINT_URL=self._emulator.endpoint_url,
                    AWS_ACCESS_KEY_ID=EMULATOR_CREDENTIALS.access_key,
                    AWS_SECRET_ACCESS_KEY=EMULATOR_CREDENTIALS.secret_key,
                )
            self._resources.enter_context(environment(overrides))
            self._gateway.start()
        except BaseException:
            self._resources.close()
            self._gateway = None
            if isinstance(self._port, socket.socket):
                self._port.close()
            raise
        return self

    def stop(self) -> None:
        """Stop serving, stop the emulator and restore the process environment."""
        self._resources.close()
        self._gateway = None

    def __enter__(self) -> LocalEndpoint:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def url(self, path: str, **query: str) -> str:
        """The full URL of ``path`` (e.g. ``"/images/custom"``) with a SigV4-safe query string."""
        encoded = urlencode(query, quote_via=quote, safe="-_.~")
        return self.base_url + path + ("?" + encoded if encoded else "")

    def sign(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> dict[str, str]:
        """Return ``headers`` plus SigV4 headers for a request to ``url`` with :attr:`credentials`."""
        return sigv4.sign(method, url, self.credentials, self.region, headers=headers, body=body)

    def sign_prepared(self, request: Any) -> Any:
        """Sign a ``requests.PreparedRequest`` in place and return it: usable as requests' ``auth=``."""
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        kept = {name: value for name, value in request.headers.items() if name.lower() == "content-type"}
        signed = self.sign(request.method, request.url, headers=kept, body=body)
        request.headers.update(signed)
        return request

    def _function_environment(self) -> dict[str, str | None]:
        """The variables Lambda would set for the template's functions (one process, so they must agree)."""
        overrides: dict[str, str | None] = {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        for function in self.api.functions.values():
            variables: dict[str, str | None] = {
                **function.environment,
                "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout_seconds),
                "AWS_LAMBDA_LOG_LEVEL": function.log_level,
            }
            for name, value in variables.items():
                if name in overrides and overrides[name] != value and len(self.api.functions) > 1:
                    raise TemplateError(f"functions disagree on {name}; serve them one at a time")
                overrides[name] = value
        if self._page_size is not None:
            overrides["LIST_IMAGES_PAGE_SIZE"] = str(self._page_size)
        return overrides


def _ambient_credentials() -> LocalCredentials:
    """The caller's own AWS credentials (environment, profile, SSO...), for --real-aws."""
    import botocore.session  # noqa: PLC0415

    found = botocore.session.get_session().get_credentials()
    if found is None:
        raise RuntimeError("no AWS credentials found: configure them (aws configure, AWS_PROFILE, ...)")
    frozen = found.get_frozen_credentials()
    # A session token belongs to temporary credentials: API Gateway accepts the key with that token only.
    return LocalCredentials(
        access_key=frozen.access_key, secret_key=frozen.secret_key, session_token=frozen.token or None
    )
