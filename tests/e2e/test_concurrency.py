"""Many clients at once over real HTTP: no errors, and each client gets exactly its own data."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

from local import LocalEndpoint
from tests.e2e.support import ROUTES, Answer, walk

CLIENTS = 24


def test_concurrent_clients_each_walk_their_own_listing_without_errors(local_endpoint: LocalEndpoint) -> None:
    # given: 24 clients, each assigned a different (status, Region, path) listing, released together
    catalog = local_endpoint.catalog
    assert catalog is not None
    assignments = list(
        itertools.islice(
            itertools.cycle(itertools.product(("AVAILABLE", "PENDING", "FAILED"), catalog.regions, ROUTES)),
            CLIENTS,
        )
    )
    start_together = threading.Barrier(CLIENTS)

    def client(assignment: tuple[str, str, str]) -> list[Answer]:
        status, region, path = assignment
        start_together.wait()
        return walk(local_endpoint, path, imageStatus=status, region=region)

    # when: they all walk their listing to the end at the same time
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(client, assignments))

    # then: not one error, and every client got exactly the images of its own listing
    statuses = [page.status for pages in results for page in pages]
    assert statuses == [200] * len(statuses)
    for (status, region, _), pages in zip(assignments, results, strict=True):
        listed = sorted(image["imageId"] for page in pages for image in page.body["images"])
        assert listed == sorted(str(entry["imageId"]) for entry in catalog.expected(status, region))
    # and: every request had its own request id
    request_ids = [page.header("x-amzn-RequestId") for pages in results for page in pages]
    assert len(set(request_ids)) == len(request_ids)
    # and: concurrent requests were served by several Lambda-like containers, as on Lambda
    assert max(pool_.container_count for pool_ in local_endpoint.gateway.functions.values()) > 1
