"""Event stores: one contract (``EventStore``), several backends."""
