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
