"""Text matching is case- and accent-insensitive, by words for prefixes, by substring else."""

from __future__ import annotations

import pytest

from eventram.readmodel._text import matches_contains, matches_prefix, normalize, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Café", "cafe"),
        ("ÉTÉ brûlée", "ete brulee"),
        ("Straße", "strasse"),
        ("ﬁnance", "finance"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_normalization_drops_case_and_accents(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_tokens_are_distinct_words_in_order() -> None:
    assert tokenize("Facture n°12, facture N°13 — réglée!") == [
        "facture",
        "n",
        "12",
        "13",
        "reglee",
    ]


def test_a_prefix_needs_every_word_to_start_some_word() -> None:
    tokens = tuple(tokenize("clo ser"))

    assert matches_prefix("Cloud services", tokens)
    assert matches_prefix("services in the CLOUD", tokens)
    assert not matches_prefix("Cloud storage", tokens)
    assert not matches_prefix(None, tokens)


def test_contains_is_a_substring_of_the_normalized_text() -> None:
    assert matches_contains("Crème brûlée", normalize("ME BRU"))
    assert not matches_contains("Crème brûlée", normalize("creme  brulee"))
    assert not matches_contains(42, "4")
