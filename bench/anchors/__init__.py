"""Anchors: the same workloads written on other libraries, measured next to ours in one run."""
