"""What a cached botocore client costs, and how many the runtime keeps: the figures behind
``listimages.sources.client_capacity`` (see docs/hostile-input-runtime.md).

Prints, in one fresh process: the RSS after importing the handler and creating the first client of each
service (the baseline), the RSS and CPU time each further client adds (one per service and Region of the
``aws`` partition), and the capacity the runtime derives for a few memory sizes and allow-lists.

Run: ``.venv/bin/python bench/client_cache.py`` (no network, no AWS: creating a client makes no call).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.update(
    {
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)
sys.path.insert(0, str(REPO / "runtime"))

from listimages import handler, sources  # noqa: E402, F401  (the function's own imports)
from listimages.regions import region_rules  # noqa: E402


def rss_mib() -> float:
    """The resident set size of this process now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    regions = sorted(name for name in region_rules().partition.known_regions if not name.endswith("-global"))
    kept = [sources.create_botocore_client(service, "us-east-1") for service in sources.SERVICES]
    gc.collect()
    baseline = rss_mib()

    started_cpu, before = time.process_time(), rss_mib()
    for region in regions[1:]:
        kept += [sources.create_botocore_client(service, region) for service in sources.SERVICES]
    gc.collect()
    added = len(kept) - len(sources.SERVICES)
    cpu_ms = (time.process_time() - started_cpu) * 1000 / added
    per_client = (rss_mib() - before) / added

    print(f"aws partition: {len(regions)} Regions, {len(sources.SERVICES)} services")
    print(f"baseline RSS (handler imported, first client of each service): {baseline:.1f} MiB")
    print(
        f"each further client ({added} made): {per_client * 1024:.0f} KiB RSS, {cpu_ms:.1f} ms CPU to create"
    )
    print(f"every Region of the partition cached: {baseline + per_client * added:.1f} MiB RSS")
    print()
    print("| memory (MB) | Regions served | clients kept at most | their memory (MiB) |")
    print("|---|---|---|---|")
    for memory in (128, 256, 512):
        for count, label in ((len(regions), f"{len(regions)} (no allow-list)"), (2, "2 (allow-list)")):
            capacity = sources.client_capacity(count, memory)
            print(f"| {memory} | {label} | {capacity} | {capacity * per_client:.0f} |")


if __name__ == "__main__":
    main()
