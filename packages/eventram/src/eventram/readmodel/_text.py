"""Text normalization shared by the text index and the query matcher."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["matches_contains", "matches_prefix", "normalize", "tokenize"]

_WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    """Case- and accent-insensitive form: NFKD, combining marks dropped, casefolded."""
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii():
        return decomposed.casefold()
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokenize(text: str) -> list[str]:
    """The distinct words of ``text`` after normalization, in order of first appearance."""
    return list(dict.fromkeys(_WORD.findall(normalize(text))))


def matches_prefix(value: object, query_tokens: tuple[str, ...]) -> bool:
    """Whether every query token starts some word of ``value`` (the text-prefix condition)."""
    if not isinstance(value, str):
        return False
    words = tokenize(value)
    return all(any(w.startswith(q) for w in words) for q in query_tokens)


def matches_contains(value: object, needle: str) -> bool:
    """Whether the normalized ``value`` contains the normalized ``needle`` as a substring."""
    return isinstance(value, str) and needle in normalize(value)
