"""The HTTP API: a Litestar app whose routes talk to the application through one gateway."""
