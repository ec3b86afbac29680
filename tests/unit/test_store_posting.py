"""Posting indexes: a run of keys adds what adding each key at its position adds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from eventram.store.memory._posting import PostingIndex

# runs of keys (None: no key) drawn from few or many distinct values, at ascending positions
keys = st.one_of(
    st.lists(st.sampled_from(["a", None]), max_size=30),
    st.lists(st.sampled_from(["a", "b", "c", None]), max_size=30),
    st.lists(st.one_of(st.none(), st.text(max_size=2)), max_size=30),
)


@given(st.lists(keys, min_size=1, max_size=4))
def test_adding_runs_is_adding_each_key_at_its_position(runs: list[list[str | None]]) -> None:
    by_run: PostingIndex[str] = PostingIndex()
    by_key: PostingIndex[str] = PostingIndex()
    position = 0
    for run in runs:
        positions = list(range(position + 1, position + 1 + len(run)))
        by_run.add_run(run, positions)
        for key, at in zip(run, positions, strict=True):
            if key is not None:
                by_key.add(key, at)
        position += len(run)

    known = by_key.keys()
    assert sorted(by_run.keys()) == sorted(known)
    for key in known:
        assert list(by_run.get(key)) == list(by_key.get(key))
        assert by_run.count(key) == by_key.count(key)


def test_extending_a_key_keeps_its_positions_in_order_and_one_position_costs_no_list() -> None:
    index: PostingIndex[str] = PostingIndex()
    index.extend("a", [3])
    index.extend("b", [4, 7])
    index.extend("a", [8, 9])
    index.extend("b", [10])

    assert list(index.get("a")) == [3, 8, 9]
    assert list(index.get("b")) == [4, 7, 10]
    assert index.get("c") == ()
    single: PostingIndex[str] = PostingIndex()
    single.extend("x", [5])
    assert single.get("x") == (5,)
