"""Tenant scope, decided in one place: a payment of another organization is "not found".

Commands and queries that name one payment carry the caller's ``organization_id`` (None for
an operator, who sees every organization). Their handlers find the payment, then ask
:func:`check_scope`, so that a foreign payment gets the same answer as a missing one and its
existence never leaks across tenants.
"""

from __future__ import annotations

from eventram import NotFoundError

__all__ = ["check_scope"]


def check_scope(payment_id: str, owner: str | None, organization_id: str | None) -> None:
    """Raise ``NotFoundError`` unless a caller scoped to ``organization_id`` may see the payment
    that ``owner`` holds."""
    if organization_id is not None and owner != organization_id:
        raise NotFoundError("Payment", payment_id)
