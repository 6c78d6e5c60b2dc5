"""Where `make local` (`python -m local`) serves by default, and the fake key pair it accepts.

Defined once, here in the shipped client: local/ imports these, so `ListImagesClient.local()`,
`list-images --local` and the emulator cannot drift apart.
"""

from __future__ import annotations

from typing import Final

LOCAL_PORT: Final = 8080
# "prod" is the construct's default stage name, which the local gateway serves as in the template.
LOCAL_ENDPOINT_URL: Final = f"http://127.0.0.1:{LOCAL_PORT}/prod"
LOCAL_SIGNING_REGION: Final = "us-east-1"
LOCAL_ACCESS_KEY_ID: Final = "testing"
LOCAL_SECRET_ACCESS_KEY: Final = "testing"  # noqa: S105 - the emulator's well-known fake key, not a secret
