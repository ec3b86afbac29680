"""Benchmark suites: each module here exposes ``run(bench: Bench) -> None`` (see bench/README)."""
