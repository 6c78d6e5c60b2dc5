"""AWS answers as the wire carries them, for the benchmark and the trimmed-model tests: a response dict
written as the XML of botocore's ``ec2`` and ``query`` protocols (the two our operations use), and error
documents of both.

Written from botocore's own output shape, so every member goes under the name and nesting that botocore's
parser expects; values are taken as given (booleans as ``true``/``false``, timestamps as ISO 8601).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

REQUEST_ID = "11111111-2222-4333-8444-555555555555"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return escape(str(value))


def _members_xml(shape: Any, value: Mapping[str, Any], protocol: str) -> str:
    parts = []
    for name, member_value in value.items():
        member = shape.members[name]
        tag = member.serialization.get("name", name)
        parts.append(f"<{tag}>{_value_xml(member, member_value, protocol)}</{tag}>")
    return "".join(parts)


def _value_xml(shape: Any, value: Any, protocol: str) -> str:
    if shape.type_name == "structure":
        return _members_xml(shape, value, protocol)
    if shape.type_name == "list":
        # EC2 names every list entry "item"; the query protocol uses the member's name, "member" by default.
        tag = "item" if protocol == "ec2" else shape.member.serialization.get("name", "member")
        return "".join(f"<{tag}>{_value_xml(shape.member, entry, protocol)}</{tag}>" for entry in value)
    if shape.type_name == "map":
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        return "".join(
            f"<entry><{key_tag}>{_text(key)}</{key_tag}>"
            f"<{value_tag}>{_value_xml(shape.value, entry, protocol)}</{value_tag}></entry>"
            for key, entry in value.items()
        )
    return _text(value)


def response_xml(operation_model: Any, response: Mapping[str, Any]) -> bytes:
    """``response`` (botocore's parsed form, without ResponseMetadata) as AWS sends it for this operation."""
    service_model = operation_model.service_model
    protocol = service_model.metadata["protocol"]
    namespace = service_model.metadata["xmlNamespace"]
    body = _members_xml(operation_model.output_shape, response, protocol)
    name = operation_model.name
    if protocol == "ec2":
        document = (
            f'<{name}Response xmlns="{namespace}"><requestId>{REQUEST_ID}</requestId>{body}</{name}Response>'
        )
    else:
        wrapper = operation_model.output_shape.serialization.get("resultWrapper", f"{name}Result")
        document = (
            f'<{name}Response xmlns="{namespace}"><{wrapper}>{body}</{wrapper}>'
            f"<ResponseMetadata><RequestId>{REQUEST_ID}</RequestId></ResponseMetadata></{name}Response>"
        )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + document).encode()


def error_xml(protocol: str, code: str, message: str) -> bytes:
    """An AWS error document of ``protocol`` (``ec2`` or ``query``)."""
    if protocol == "ec2":
        document = (
            f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"</Errors><RequestID>{REQUEST_ID}</RequestID></Response>"
        )
    else:
        document = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>{REQUEST_ID}</RequestId></ErrorResponse>"
        )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + document).encode()
