"""billing: the Gyroscops payments service, built on eventram's public API.

``billing.domain`` holds the payments model (Money, the Payment aggregate, its commands, events
and errors), ``billing.handlers`` the command handlers, and ``billing.bootstrap`` builds the
whole service from ``Settings``. Importing a module never opens a file, socket or connection.
"""
