"""Judging answers: what a hostile request may and may not get back.

Every answer must be a non-5xx with a JSON body that is either ``{"message": <text>}`` or a page
(``{"images": [...], "nextToken"?: <text>}``), and must reveal nothing the request did not carry itself: no
traceback, ARN, account id, file path or class name. A page's listed stack ARNs are its content (the
contract's ``cloudformationStackArn``), so they are set aside; its ``nextToken`` is decoded and inspected, as
any caller could.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, unquote_plus

from .tokens import decoded_text

# What an answer must never show unless the request itself carried it.
_LEAK_PATTERNS = [
    ("traceback", re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")),
    ("ARN", re.compile(r"arn:aws[a-z-]*:[a-z0-9-]*:[^\s\"']*")),
    ("account id", re.compile(r"(?<![\w-])\d{12}(?![\w-])")),
    ("file path", re.compile(r"(?:/[\w.-]+)+\.py\b|site-packages|/var/task|/work/|/home/|/tmp/")),
    ("class name", re.compile(r"<class '|\b[A-Z][A-Za-z0-9]*(?:Error|Exception)\b")),
    ("module name", re.compile(r"\b(?:botocore|boto3|moto|listimages|lambda_container_\d+|werkzeug)\b")),
]
_PAGE_KEYS = {"images", "nextToken"}
_IMAGE_KEYS = {
    "imageId", "ec2AmiInfo", "imageBuildStatus", "region", "version", "cloudformationStackStatus",
    "cloudformationStackArn",
}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """Something an answer must not be: ``kind`` is "5xx", "not JSON", "leak", "drop" or "raised"."""

    kind: str
    detail: str
    request: str


def mentions_of(texts: Iterable[str]) -> list[str]:
    """Every form in which an answer may legitimately echo what a request carried (as sent and decoded)."""
    forms: list[str] = []
    for text in texts:
        forms += [text, unquote(text, errors="replace"), unquote_plus(text, errors="replace")]
    return forms


def leaks(text: str, mentions: Iterable[str]) -> list[str]:
    """``kind: match`` for each leak pattern matched in ``text`` that none of ``mentions`` contains."""
    carried = "\n".join(mentions)
    found = []
    for kind, pattern in _LEAK_PATTERNS:
        found += [f"{kind}: {match!r}" for match in pattern.findall(text) if match not in carried]
    return found


def judge_body(status: int, body: Any, mentions: list[str]) -> list[tuple[str, str]]:
    """(kind, detail) of what is wrong with a decoded JSON answer body for ``status``."""
    if status >= 500:
        return [("5xx", f"{status} {json.dumps(body)[:300]}")]
    if not isinstance(body, dict):
        return [("not JSON", f"{status}: not a JSON object: {json.dumps(body)[:200]}")]
    if status == 200 and "images" in body:
        return _judge_page(body, mentions)
    if set(body) != {"message"} or not isinstance(body["message"], str):
        return [("not JSON", f"{status}: not {{'message': ...}}: {json.dumps(body)[:200]}")]
    return [
        ("leak", f"{status} {body['message'][:300]!r}: {leak}") for leak in leaks(body["message"], mentions)
    ]


def _judge_page(body: Mapping[str, Any], mentions: list[str]) -> list[tuple[str, str]]:
    images, token = body.get("images"), body.get("nextToken")
    if (
        set(body) - _PAGE_KEYS
        or not isinstance(images, list)
        or not (token is None or isinstance(token, str))
    ):
        return [("not JSON", f"200: not a page: {json.dumps(body)[:200]}")]
    if any(not isinstance(image, dict) or set(image) - _IMAGE_KEYS for image in images):
        return [("not JSON", f"200: an entry off the schema: {json.dumps(images)[:200]}")]
    # The listed stacks' ARNs are the page's content; anything else, and the decoded token, must not leak.
    rest = [
        {key: value for key, value in image.items() if key != "cloudformationStackArn"} for image in images
    ]
    inspected = json.dumps(rest) + "\n" + (decoded_text(token) if token else "")
    return [("leak", f"200 page: {leak}") for leak in leaks(inspected, mentions)]


def judge_http(status: int, content_type: str, body: bytes, mentions: list[str]) -> list[tuple[str, str]]:
    """(kind, detail) of what is wrong with an HTTP answer."""
    if status >= 500:
        return [("5xx", f"{status} {body[:300]!r}")]
    if not content_type.startswith("application/json"):
        return [("not JSON", f"{status} Content-Type {content_type!r}: {body[:200]!r}")]
    try:
        decoded = json.loads(body)
    except ValueError:
        return [("not JSON", f"{status} {body[:200]!r}")]
    return judge_body(status, decoded, mentions)


def judge_proxy_response(response: Any, mentions: list[str]) -> list[tuple[str, str]]:
    """(kind, detail) of what is wrong with a handler's API Gateway proxy response."""
    if not isinstance(response, dict) or not isinstance(response.get("statusCode"), int):
        return [("not JSON", f"not a proxy response: {response!r:.200}")]
    status, body = response["statusCode"], response.get("body")
    headers = response.get("headers") or {}
    if status >= 500:
        return [("5xx", f"{status} {body!r:.300}")]
    if headers.get("Content-Type") != "application/json" or not isinstance(body, str):
        return [("not JSON", f"{status} headers {headers!r:.100} body {body!r:.200}")]
    try:
        decoded = json.loads(body)
    except ValueError:
        return [("not JSON", f"{status} {body[:200]!r}")]
    return judge_body(status, decoded, mentions)
