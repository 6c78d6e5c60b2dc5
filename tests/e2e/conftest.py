"""End-to-end fixtures: the real handler behind the local API Gateway, over real HTTP, on emulated AWS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local import Fault, LocalEndpoint
from tests.e2e.support import ACCESS_DENIED_REGION, E2E_PAGE_SIZE, THROTTLED_REGION


@pytest.fixture(scope="package")
def local_endpoint(default_template: dict[str, Any]) -> Iterator[LocalEndpoint]:
    """The deployed API, locally: started once for tests/e2e, stopped when pytest leaves the package.

    Yields a started :class:`local.LocalEndpoint` serving ``default_template`` (the synthesized default
    stack) with the real handler, on moto seeded with :func:`local.seed_sample_images`. Interface:

    - ``base_url`` — ``http://127.0.0.1:<port>/prod`` (the stage from the template; append
      ``/images/custom`` or ``/v3/images/custom``);
    - ``region`` — ``us-east-1``: the API's Region, the SigV4 signing Region, the function's home Region;
    - ``credentials`` — :class:`local.LocalCredentials` (``access_key``, ``secret_key``; the emulator's
      fake pair ``testing``/``testing``); SigV4 is verified on every route (all are AWS_IAM);
    - ``url(path, **query)`` — a full URL with a query string encoded the way SigV4 wants it;
    - ``sign(method, url, headers=None, body=b"")`` — the headers to send (given ones + SigV4);
    - ``sign_prepared(prepared_request)`` — signs a ``requests.PreparedRequest`` in place; pass
      ``auth=local_endpoint.sign_prepared`` to requests (or schemathesis' ``case.call``);
    - ``catalog`` — :class:`local.SampleCatalog`: ``catalog.expected(status, region)`` is exactly what a
      full walk of that listing returns; ``catalog.regions`` the seeded Regions;
    - ``faults`` — Region -> :class:`local.Fault`: AWS calls for ``ap-south-2`` are throttled (the API
      answers 429) and for ``ca-west-1`` denied (500); other Regions work normally.

    The page size is 5. The fixture sets the function's environment (AWS_ENDPOINT_URL, ...) for the
    package's duration and restores it after; the function runs from private module copies, so the
    process's own ``listimages`` imports are untouched.
    """
    endpoint = LocalEndpoint(
        default_template,
        page_size=E2E_PAGE_SIZE,
        faults={THROTTLED_REGION: Fault.THROTTLE, ACCESS_DENIED_REGION: Fault.ACCESS_DENIED},
    )
    with endpoint:
        yield endpoint
