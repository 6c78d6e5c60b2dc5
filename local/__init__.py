"""Local API Gateway emulation on emulated AWS (moto), for `make local` and end-to-end tests.

Public interface
----------------
- :class:`LocalEndpoint` — everything at once: emulated AWS (moto server, in-process) seeded with
  sample images, the function's environment, and the local API Gateway serving the template's routes.
- :func:`api_from_template` — the routes, stage and functions a synthesized template deploys.
- :class:`LocalApiGateway` — the gateway alone (template routes, SigV4, proxy events, Lambda context).
- :func:`seed_sample_images` / :class:`SampleCatalog` — plant sample images in moto; what each listing
  must return.
- :class:`EmulatedAws`, :class:`Fault` — moto's server, optionally behind a fault-injecting proxy.
- :func:`synthesize_template` — `cdk synth` with the pinned CLI.
"""

from .emulator import EmulatedAws
from .endpoint import DEFAULT_REGION, EMULATOR_CREDENTIALS, RUNTIME_DIR, LocalEndpoint
from .faults import Fault
from .gateway import LocalApiGateway
from .sample_data import DEFAULT_COUNTS, SampleCatalog, SampleCounts, SampleImage, seed_sample_images
from .sigv4 import LocalCredentials
from .synth import SynthError, synthesize_template
from .template import ApiDefinition, FunctionDefinition, Route, TemplateError, api_from_template

__all__ = [
    "DEFAULT_COUNTS",
    "DEFAULT_REGION",
    "EMULATOR_CREDENTIALS",
    "RUNTIME_DIR",
    "ApiDefinition",
    "EmulatedAws",
    "Fault",
    "FunctionDefinition",
    "LocalApiGateway",
    "LocalCredentials",
    "LocalEndpoint",
    "Route",
    "SampleCatalog",
    "SampleCounts",
    "SampleImage",
    "SynthError",
    "TemplateError",
    "api_from_template",
    "seed_sample_images",
    "synthesize_template",
]
