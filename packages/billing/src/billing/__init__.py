"""billing: the Gyroscops payments service, built on eventram's public API.

``billing.domain`` holds the payments model (Money, the Payment aggregate, its commands, events
and errors), ``billing.application`` the handlers, queries and read models,
``billing.entrypoints`` the HTTP API and the command line, and ``billing.bootstrap`` builds the
whole service from ``Settings``. Importing a module never opens a file, socket or connection.
"""

__version__ = "0.2.0"
"""The version of the ``billing`` distribution (a test keeps it equal to its metadata)."""
