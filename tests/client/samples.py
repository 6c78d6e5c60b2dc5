"""Answers as the API gives them, shared by the client, CLI and OpenAPI-checker tests."""

from typing import Any

# The reference page's example entry.
AVAILABLE_IMAGE: dict[str, Any] = {
    "imageId": "custom-image",
    "ec2AmiInfo": {"amiId": "ami-abcdef01234567890"},
    "imageBuildStatus": "BUILD_COMPLETE",
    "region": "us-east-1",
    "version": "3.2.1",
}
