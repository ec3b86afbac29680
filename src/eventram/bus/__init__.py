"""Buses: commands to one handler each, queries to one handler each, events to many."""

from eventram.bus._pipeline import Handler, Middleware, Next, inject

__all__ = ["Handler", "Middleware", "Next", "inject"]
