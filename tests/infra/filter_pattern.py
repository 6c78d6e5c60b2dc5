"""Evaluate the subset of CloudWatch Logs filter-pattern syntax our metric filters use, on JSON log events.

The subset: ``{ <expression> }`` where an expression is conditions joined by ``&&`` or by ``||`` (mixing
them needs parentheses), each condition ``$.field = "text"``, ``$.field != "text"`` or
``$.field = %regex%``, optionally in parentheses. ``$.a.b`` reads nested objects. A condition on a
missing or non-string field is false. Anything outside the subset (wildcards in text, numbers, arrays,
``IS NULL``, text patterns) raises ``UnsupportedPatternError``: a pattern this cannot judge is never judged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

Condition = Callable[[Mapping[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<punct>&&|\|\||!=|=|\{|\}|\(|\))
      | (?P<field>\$(?:\.[A-Za-z_][A-Za-z0-9_]*)+)
      | (?P<text>"(?:[^"\\]|\\.)*")
      | (?P<regex>%[^%]+%)
    )""",
    re.VERBOSE,
)


class UnsupportedPatternError(ValueError):
    """The pattern uses syntax outside the subset this evaluator understands."""


def matches(pattern: str, event: str) -> bool:
    """Whether the log event (one JSON line) matches the filter pattern."""
    document = json.loads(event)
    if not isinstance(document, dict):
        return False
    return _parse(pattern)(document)


def _tokens(pattern: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(pattern.rstrip()):
        match = _TOKEN.match(pattern, position)
        if match is None:
            raise UnsupportedPatternError(f"unsupported syntax at {pattern[position:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _parse(pattern: str) -> Condition:
    tokens = _tokens(pattern)
    if len(tokens) < 3 or tokens[0][1] != "{" or tokens[-1][1] != "}":
        raise UnsupportedPatternError(f"not a JSON pattern {{ ... }}: {pattern!r}")
    parser = _Parser(tokens[1:-1])
    condition = parser.expression()
    if parser.position != len(parser.tokens):
        raise UnsupportedPatternError(f"unexpected {parser.tokens[parser.position][1]!r} in {pattern!r}")
    return condition


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise UnsupportedPatternError("the pattern ends in the middle of a condition")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expression(self) -> Condition:
        terms = [self.term()]
        operator = self._peek()
        while self._peek() in {"&&", "||"}:
            if self._take()[1] != operator:
                raise UnsupportedPatternError("&& and || mixed without parentheses")
            terms.append(self.term())
        if operator == "||":
            return lambda document: any(term(document) for term in terms)
        return lambda document: all(term(document) for term in terms)

    def term(self) -> Condition:
        if self._peek() == "(":
            self._take()
            inner = self.expression()
            if self._take()[1] != ")":
                raise UnsupportedPatternError("missing )")
            return inner
        kind, field = self._take()
        if kind != "field":
            raise UnsupportedPatternError(f"expected a $.field, got {field!r}")
        operator = self._take()[1]
        value_kind, value = self._take()
        if operator not in {"=", "!="}:
            raise UnsupportedPatternError(f"unsupported operator {operator!r}")
        path = field.split(".")[1:]
        if value_kind == "text":
            text = json.loads(value)
            if "*" in text:
                raise UnsupportedPatternError(f"wildcards are outside the subset: {value}")
            test: Callable[[str], bool] = lambda found: found == text  # noqa: E731
        elif value_kind == "regex":
            expression = re.compile(value[1:-1])
            test = lambda found: expression.search(found) is not None  # noqa: E731
        else:
            raise UnsupportedPatternError(f"unsupported value {value!r}")
        negate = operator == "!="

        def condition(document: Mapping[str, Any]) -> bool:
            found = _lookup(document, path)
            return isinstance(found, str) and test(found) != negate

        return condition


def _lookup(document: Mapping[str, Any], path: list[str]) -> Any:
    found: Any = document
    for name in path:
        if not isinstance(found, Mapping) or name not in found:
            return None
        found = found[name]
    return found
