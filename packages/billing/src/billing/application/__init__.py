"""billing's application layer: handlers; queries, their handlers and answers; read models."""
