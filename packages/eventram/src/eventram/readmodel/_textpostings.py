"""Text postings: normalized word -> ids, with the sorted vocabulary for prefix lookups."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

from sortedcontainers import SortedList

from eventram.readmodel._text import tokenize

__all__ = ["TextPostings"]


class TextPostings:
    """Answers word-prefix and substring candidates for one text field."""

    __slots__ = ("field", "postings", "vocabulary")

    def __init__(self, field: str) -> None:
        self.field = field
        self.postings: dict[str, set[Any]] = {}
        self.vocabulary: SortedList = SortedList()

    def add(self, doc_id: Any, value: Any) -> None:
        """Index the words of ``value`` for ``doc_id``."""
        if not isinstance(value, str):
            return
        for word in tokenize(value):
            ids = self.postings.get(word)
            if ids is None:
                self.postings[word] = {doc_id}
                self.vocabulary.add(word)
            else:
                ids.add(doc_id)

    def remove(self, doc_id: Any, value: Any) -> None:
        """Forget the words of ``value`` for ``doc_id``."""
        if not isinstance(value, str):
            return
        for word in tokenize(value):
            self._discard(word, doc_id)

    def _discard(self, word: str, doc_id: Any) -> None:
        ids = self.postings.get(word)
        if ids is not None:
            ids.discard(doc_id)
            if not ids:
                del self.postings[word]
                self.vocabulary.remove(word)

    def words_with_prefix(self, prefix: str) -> Iterator[str]:
        """Vocabulary words starting with ``prefix``, in order."""
        for word in self.vocabulary.irange(minimum=prefix):
            if not word.startswith(prefix):
                return
            yield word

    def count_prefix(self, query_tokens: tuple[str, ...]) -> int:
        """An upper bound of the ids matching every token as a word prefix."""
        postings = self.postings
        return min(sum(len(postings[w]) for w in self.words_with_prefix(q)) for q in query_tokens)

    def ids_prefix(self, query_tokens: tuple[str, ...]) -> set[Any]:
        """Ids having, for every query token, a word that starts with it (exact)."""
        result: set[Any] | None = None
        for q in sorted(query_tokens, key=lambda t: -len(t)):
            found: set[Any] = set()
            for word in self.words_with_prefix(q):
                found.update(self.postings[word])
            result = found if result is None else result & found
            if not result:
                return set()
        return result if result is not None else set()

    def ids_containing(self, query_tokens: tuple[str, ...]) -> set[Any]:
        """Candidates for a substring match: for every token, a word containing it."""
        result: set[Any] | None = None
        for q in query_tokens:
            found: set[Any] = set()
            for word, ids in self.postings.items():
                if q in word:
                    found.update(ids)
            result = found if result is None else result & found
            if not result:
                return set()
        return result if result is not None else set()

    def entries(self) -> int:
        """How many (word, id) pairs the index holds."""
        return sum(len(ids) for ids in self.postings.values())

    def remove_orphans(self, is_live: Callable[[Any, str], bool]) -> int:
        """Drop (word, id) pairs whose document is gone or lacks the word; count them."""
        removed = 0
        for word in list(self.postings):
            dead = [doc_id for doc_id in self.postings[word] if not is_live(doc_id, word)]
            for doc_id in dead:
                self._discard(word, doc_id)
            removed += len(dead)
        return removed

    def compact(self) -> int:
        """Rebuild every posting set at its current size; bytes given back."""
        before = sys.getsizeof(self.postings)
        before += sum(sys.getsizeof(ids) for ids in self.postings.values())
        self.postings = {word: set(ids) for word, ids in self.postings.items()}
        self.vocabulary = SortedList(self.vocabulary)
        after = sys.getsizeof(self.postings)
        after += sum(sys.getsizeof(ids) for ids in self.postings.values())
        return max(0, before - after)
