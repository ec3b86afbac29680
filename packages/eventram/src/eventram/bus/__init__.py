"""Buses: commands to one handler each, queries to one handler each, events to many."""
