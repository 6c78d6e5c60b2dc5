"""Hostile HTTP requests for the local API Gateway, drawn from a seeded random generator.

Most are well-formed and correctly signed, so that they reach the function with hostile parameters: every
listing, Regions real, unknown and invalid, real and hostile tokens, repeated and percent-encoded parameters,
JSON bodies, unicode, oversized values. Some are unsigned or badly signed, some use other paths and methods,
and some are raw bytes over a socket that no HTTP client would send (malformed request lines and headers,
bad lengths, oversized requests).
"""

from __future__ import annotations

import enum
import json
import random
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from .tokens import HostileTokens, checksummed

IMAGE_STATUSES = ("AVAILABLE", "PENDING", "FAILED")
_ODD_VALUES = (
    "", " ", "available", "Available", " AVAILABLE", "AVAILABLE ", "BUILD_COMPLETE", "null", "[]", "{}",
    "\u00c4VAILABLE", "\u0000", "AVAILABLE\r\nX-Injected: 1", "%00", "' OR 1=1 --", "<script>x</script>",
    "../../etc/passwd", "${jndi:ldap://x}", "arn:aws:iam::210987654321:root", "210987654321", "\u202eLIAF",
    "\U0001f600", "\ufeffAVAILABLE", "A" * 300, "Z" * 5000,
)  # fmt: skip
_INVALID_REGIONS = (
    "mars-north-1", "US-EAST-1", "us_east_1", "us-east-1 ", "us-east-1\u0000", "aws-global", "cn-north-1",
    "us-gov-west-1", "us-iso-east-1", "eu-" + "x" * 70 + "-1", "us-east-1.evil.example", "127.0.0.1", "..",
    "us-east-01", "\u00fcs-east-1",
)  # fmt: skip
# Regions AWS does not have: the function answers "unreachable" after botocore's retry (about a second each).
UNKNOWN_REGIONS = ("us-east-7", "eu-foo-1")
_OTHER_METHODS = ("POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get", "FOO", "CONNECT", "TRACE")
_PATH_MUTATIONS = (
    "{route}/", "/{stage}/{route_no_slash}/", "/{stage}//{route_no_slash}", "{route}/../custom", "{route}%00",
    "{route};x=1", "{route}%2F", "/%2e%2e{route}", "/{stage}/IMAGES/custom", "/{stage}/images/%63ustom",
    "/{stage}/images/%C3%A9", "/{stage}/images/" + "a" * 5000, "/", "/{stage}", "/{stage}/",
    "/{stage}/v3/images", "/{stage}/v4/images/custom", "/{stage}/images/custom/extra",
)  # fmt: skip
_LATIN_1_PRINTABLE = (*range(0x20, 0x7F), *range(0xA0, 0x100))
_CONTENT_TYPES = (
    "application/json", "application/json; charset=utf-8", "text/plain", "application/octet-stream",
    "application/x-www-form-urlencoded",
)  # fmt: skip
_JUNK_PARAMETERS = (
    ("foo", "bar"), ("imageStatus[]", "AVAILABLE"), ("IMAGESTATUS", "PENDING"), ("", "x"), ("x", ""),
    ("image%53tatus", "FAILED"), ("nexttoken", "x"), ("Region", "us-east-7"), ("a" * 300, "b"),
)  # fmt: skip


class Signing(enum.Enum):
    """How a request is signed when it is sent."""

    VALID = "valid"
    NONE = "none"
    WRONG_SECRET = "wrong secret"  # noqa: S105 - a label, not a secret
    TAMPERED = "changed after signing"
    OTHER_REGION = "scoped to another Region"
    SESSION_TOKEN = "with a session token the key has none of"  # noqa: S105 - a label
    GARBLED = "Authorization or X-Amz-Date garbled"


@dataclass(frozen=True)
class Garbling:
    """How a signed header is garbled (drawn with the case, applied once it is signed)."""

    header: str
    position: float
    noise: str
    mode: str

    def apply(self, value: str) -> str:
        """``value`` truncated, with a character replaced by the noise, or with the noise in front."""
        at = int(self.position * len(value))
        if self.mode == "truncate":
            return value[:at]
        if self.mode == "replace":
            return value[:at] + self.noise + value[at + 1 :]
        return self.noise + value


@dataclass(frozen=True)
class HttpCase:
    """A request an HTTP client can send; it is signed (as ``signing`` says) just before it is sent."""

    kind: str
    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    signing: Signing
    mentions: tuple[str, ...]
    garbling: Garbling | None = None


@dataclass(frozen=True)
class RawCase:
    """Bytes sent as they are over a fresh connection.

    With ``signed_host``, the request is a GET of ``target`` signed for that Host header (made at send
    time: a signature is only valid for five minutes) and ``data`` is unused.
    """

    kind: str
    data: bytes
    mentions: tuple[str, ...]
    signed_host: str | None = None
    target: str = ""


class HostileHttp:
    """Draw hostile requests for an API served under ``/<stage>`` with ``routes``.

    Parameters
    ----------
    rng:
        The seeded generator every choice comes from.
    tokens:
        Real and hostile ``nextToken`` values.
    seeded_regions:
        Regions that hold images (most requests name one of them).
    served_regions:
        Other Regions the emulated AWS serves (empty listings).
    raw_share, unknown_region_share:
        The share of raw-socket requests, and of requests naming a Region AWS does not have (each costs the
        function a retried connection failure, as on AWS).
    """

    def __init__(
        self,
        rng: random.Random,
        tokens: HostileTokens,
        *,
        stage: str,
        routes: tuple[str, ...],
        seeded_regions: tuple[str, ...],
        served_regions: tuple[str, ...],
        raw_share: float = 0.05,
        unknown_region_share: float = 0.003,
    ) -> None:
        self._rng = rng
        self._tokens = tokens
        self._stage = stage
        self._routes = routes
        self._seeded = seeded_regions
        self._served = served_regions or seeded_regions
        self._raw_share = raw_share
        self._unknown_region_share = unknown_region_share

    def next_case(self) -> HttpCase | RawCase:
        """One hostile request."""
        if self._rng.random() < self._raw_share:
            return self._raw_case()
        return self._http_case()

    # --- requests an HTTP client can send -----------------------------------------------------------

    def _http_case(self) -> HttpCase:
        rng = self._rng
        route = rng.choice(self._routes)
        kinds = []
        method = "GET"
        if rng.random() < 0.04:
            method = rng.choice(_OTHER_METHODS)
            kinds.append("method")
        path = f"/{self._stage}{route}"
        if rng.random() < 0.04:
            path = quote(
                rng.choice(_PATH_MUTATIONS).format(
                    route=path, stage=self._stage, route_no_slash=route.lstrip("/")
                ),
                safe="/%;=.",
            )
            kinds.append("path")
        parameters, mentions = self._parameters(kinds)
        query = self._encode(parameters, kinds)
        body, content_type, body_mentions = self._body(kinds)
        headers = self._headers(kinds)
        if content_type:
            headers.append(("Content-Type", content_type))
        signing = Signing.VALID
        garbling = None
        if rng.random() < 0.05:
            signing = rng.choice([signing for signing in Signing if signing is not Signing.VALID])
            kinds.append("signing")
        if signing is Signing.GARBLED:
            noise = "".join(chr(rng.choice(_LATIN_1_PRINTABLE)) for _ in range(rng.randrange(1, 6)))
            garbling = Garbling(
                rng.choice(["Authorization", "X-Amz-Date"]),
                rng.random(),
                noise,
                rng.choice(["truncate", "replace", "prefix"]),
            )
        return HttpCase(
            kind="+".join(kinds) or "plain",
            method=method,
            target=path + ("?" + query if query else ""),
            headers=tuple(headers),
            body=body,
            signing=signing,
            mentions=(path, query, *mentions, *body_mentions, *(value for _, value in headers)),
            garbling=garbling,
        )

    def _parameters(self, kinds: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
        rng = self._rng
        parameters: list[tuple[str, str]] = []
        status = rng.choice(IMAGE_STATUSES)
        token_choice = rng.random()
        region: str | None = rng.choice(self._seeded) if rng.random() < 0.7 else None
        if token_choice < 0.35:
            token, base = self._tokens.any()
            # Mostly the listing the token came from, so that real tokens page on.
            if rng.random() < 0.8:
                status, region = base.image_status, base.region
            parameters.append(("nextToken", token))
            kinds.append("token")
        roll = rng.random()
        if roll < 0.06:
            status = rng.choice(_ODD_VALUES)
            kinds.append("status")
        elif roll < 0.09:
            status = ""
        if roll > 0.03:  # sometimes no imageStatus at all
            parameters.append(("imageStatus", status))
        region_roll = rng.random()
        if region_roll < self._unknown_region_share:
            region = rng.choice(UNKNOWN_REGIONS)
            kinds.append("unknown region")
        elif region_roll < 0.06:
            region = rng.choice((*_INVALID_REGIONS, ""))
            kinds.append("region")
        elif region_roll < 0.12:
            region = rng.choice(self._served)
        if region is not None:
            parameters.append(("region", region))
        if rng.random() < 0.05:
            name, value = rng.choice(parameters or [("imageStatus", "AVAILABLE")])
            parameters.append((name, rng.choice([value, rng.choice(IMAGE_STATUSES), ""])))
            kinds.append("repeated")
        if rng.random() < 0.05:
            parameters.append(rng.choice(_JUNK_PARAMETERS))
            kinds.append("junk parameter")
        rng.shuffle(parameters)
        return parameters, [value for pair in parameters for value in pair]

    def _encode(self, parameters: list[tuple[str, str]], kinds: list[str]) -> str:
        rng = self._rng
        style = rng.random()
        if style < 0.9:
            return "&".join(
                f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}" for name, value in parameters
            )
        kinds.append("encoding")
        if style < 0.94:
            return "&".join(f"{quote_plus(name)}={quote_plus(value)}" for name, value in parameters)
        if style < 0.97:  # encoded twice: the function must see %XX text, not the value
            return "&".join(
                f"{quote(quote(name, safe=''))}={quote(quote(value, safe=''))}" for name, value in parameters
            )
        # Odd separators and bare names
        pieces = [f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in parameters]
        return rng.choice(["&", "&&", "&;"]).join(pieces + rng.choice([[], ["imageStatus"], ["="], ["&"]]))

    def _body(self, kinds: list[str]) -> tuple[bytes, str | None, list[str]]:
        rng = self._rng
        roll = rng.random()
        if roll < 0.85:
            return b"", None, []
        kinds.append("body")
        content_type = rng.choice(_CONTENT_TYPES)
        document: object
        if roll < 0.93:
            document = {
                name: rng.choice([*IMAGE_STATUSES, *_ODD_VALUES[:8], None, 1, [], {}, True])
                if name == "imageStatus"
                else rng.choice([*self._seeded, None, "", 5])
                if name == "region"
                else rng.choice([self._tokens.any()[0], None, 7])
                for name in rng.sample(["imageStatus", "region", "nextToken", "extra"], rng.randrange(1, 4))
            }
            body = json.dumps(document).encode()
        else:
            body = rng.choice(
                [
                    b"[1, 2]", b"not json", b"null", b'"text"', b"\xff\xfe\xfd", b"[" * 100_000,
                    b'{"a":' * 50_000, b'{"imageStatus": "AVAILABLE", "imageStatus": "PENDING"}', b"{}", b" ",
                    b"\x00",
                    json.dumps({"imageStatus": "A" * 1_000_000}).encode(),
                    checksummed(b"[" * 1200).encode(),
                ]
            )  # fmt: skip
        return body, content_type, [body.decode("utf-8", "replace")]

    def _headers(self, kinds: list[str]) -> list[tuple[str, str]]:
        rng = self._rng
        if rng.random() > 0.05:
            return []
        kinds.append("headers")
        return rng.choice(
            [
                [("User-Agent", "fuzz/\u00e9\u00ff")],
                [("X-Fuzz", "v" * 8000)],
                [(f"X-Many-{number}", str(number)) for number in range(60)],
                [("X-Forwarded-For", "10.0.0.1, 127.0.0.1")],
                [("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000")],
                [("Accept", "text/html")],
                [("Cookie", "a=b; c=d")],
            ]
        )

    # --- raw bytes ----------------------------------------------------------------------------------

    def _raw_case(self) -> RawCase:
        rng = self._rng
        target = f"/{self._stage}{rng.choice(self._routes)}?imageStatus=AVAILABLE".encode()
        line = b"GET " + target + b" HTTP/1.1"
        host = b"Host: 127.0.0.1"
        stage = self._stage.encode()
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))).replace(b"\n", b"")
        choices: list[tuple[str, bytes]] = [
            ("raw space in the URL", _raw(b"GET /" + stage + b"/images custom HTTP/1.1", host)),
            ("byte 0x85 in the URL", _raw(b"GET " + target + b"\x85x HTTP/1.1", host)),
            ("byte 0xA0 in the URL", _raw(b"GET /" + stage + b"/ima\xa0ges HTTP/1.1", host)),
            ("control bytes in the URL", _raw(b"GET " + target + b"\x1b[31m\x07\x00 HTTP/1.1", host)),
            (
                "request line over 64 KB",
                _raw(b"GET /" + b"a" * rng.choice([65_537, 200_000]) + b" HTTP/1.1", host),
            ),
            ("101 headers", _raw(line, *(b"X-%d: v" % number for number in range(101)))),
            ("header line over 64 KB", _raw(line, host, b"X-Big: " + b"v" * 70_000)),
            (
                "bad method",
                _raw(
                    rng.choice([b"G(T", b"G\xe9T", b"\x00", b"GET\x7f"]) + b" " + target + b" HTTP/1.1", host
                ),
            ),
            ("HTTP/2.0 request line", _raw(b"GET " + target + b" HTTP/2.0", host)),
            ("bad version", _raw(b"GET " + target + b" HTTP/1.x", host)),
            ("no version", _raw(b"GET " + target)),
            ("one word", _raw(b"GARBAGE")),
            ("blank lines first", b"\r\n\r\n" + _raw(line, host)),
            ("spaces only", _raw(b"   ")),
            ("LF line ends", line + b"\nHost: x\n\n"),
            ("binary garbage", _raw(garbage)),
            ("Content-Length \u00b2", _raw(line, host, b"Content-Length: \xb2")),
            ("Content-Length 999999999999", _raw(line, host, b"Content-Length: 999999999999")),
            ("Content-Length negative", _raw(line, host, b"Content-Length: -5")),
            ("two Content-Lengths", _raw(line, host, b"Content-Length: 1", b"Content-Length: 2", body=b"xy")),
            ("chunked body", _raw(line, host, b"Transfer-Encoding: chunked", body=b"3\r\nabc\r\n0\r\n\r\n")),
            ("10 MB + 1 announced", _raw(line, host, b"Expect: 100-continue", b"Content-Length: 10485761")),
            ("header without a colon", _raw(line, host, b"NoColonHere")),
            ("folded header", _raw(line, host, b"X-Folded: a", b" b")),
            ("NUL in a header", _raw(line, host, b"X-Nul: a\x00b")),
            ("absolute-form target", _raw(b"GET http://127.0.0.1" + target + b" HTTP/1.1", host)),
            ("asterisk target", _raw(b"OPTIONS * HTTP/1.1", host)),
            ("two Host headers", _raw(line, host, b"Host: [::1]")),
        ]
        if rng.random() < 0.03:
            body = b"x" * (10 * 1024 * 1024 + 1)
            choices = [("10 MB + 1 sent", _raw(line, host, b"Content-Length: %d" % len(body), body=body))]
        if rng.random() < 0.1:
            return RawCase(
                kind="signed, Host not a URL host",
                data=b"",
                mentions=("[",),
                signed_host=rng.choice(["[", "]", "[::1", "a[b]c", "[local]:80"]),
                target=target.decode(),
            )
        kind, data = rng.choice(choices)
        return RawCase(kind=kind, data=data, mentions=(data.decode("latin-1"),))


def _raw(request_line: bytes, *header_lines: bytes, body: bytes = b"") -> bytes:
    """A request as bytes: the request line, header lines, an empty line, the body."""
    return request_line + b"\r\n" + b"".join(line + b"\r\n" for line in header_lines) + b"\r\n" + body
