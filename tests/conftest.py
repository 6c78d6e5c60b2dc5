"""Process-wide test settings: offline, fake credentials, no default AMIs in moto.

Set before any test module imports boto3 or moto, so no test can reach real AWS by accident.
"""

import os

_OFFLINE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
}

for _name, _value in _OFFLINE_ENVIRONMENT.items():
    os.environ[_name] = _value
# A developer's own profile or endpoint override must never leak into the tests.
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_CLOUDFORMATION"):
    os.environ.pop(_name, None)


# --- infra: synthesized templates (aws_cdk is imported inside fixtures only, never at collection) ---
import copy  # noqa: E402  (kept with the fixtures it serves; the settings above must run first)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def default_template() -> dict[str, object]:
    """CloudFormation template of ListImagesStack with default options (synthesized once per session)."""
    from tests.synth_support import synthesize_configuration  # noqa: PLC0415  (no aws_cdk in runtime tests)

    # A copy: the cached original also feeds the infra tests, whatever a caller does to this one.
    return copy.deepcopy(synthesize_configuration("default").template)
