"""billing's entry points: the HTTP API and the command line, built by ``billing.bootstrap``."""
