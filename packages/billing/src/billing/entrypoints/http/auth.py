"""Bearer-token authentication and the operator guard, as one ASGI middleware.

Routes are private unless their handler says ``opt={"public": True}``; a handler with
``opt={"operator": True}`` refuses organization tokens with 403.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Request
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from billing.entrypoints.http.context import set_tenant
from billing.entrypoints.http.errors import AuthenticationError, OperatorOnlyError
from billing.entrypoints.http.tokens import Principal, TokenStore

__all__ = ["OPERATOR", "PUBLIC", "AuthMiddleware", "principal_of"]

PUBLIC: Final = "public"
OPERATOR: Final = "operator"
_PRINCIPAL: Final = "billing.principal"


class AuthMiddleware(ASGIMiddleware):
    """Reads ``Authorization: Bearer <token>`` and records the caller in the scope."""

    scopes = (ScopeType.HTTP,)
    exclude_opt_key = PUBLIC

    def __init__(
        self, tokens: TokenStore, *, public_paths: tuple[str, ...] = ("^/schema",)
    ) -> None:
        self._tokens = tokens
        self.exclude_path_pattern = public_paths

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        principal = self._authenticate(scope)
        set_tenant(scope, principal.tenant)
        handler = scope.get("route_handler")
        if handler is not None and handler.opt.get(OPERATOR) and not principal.operator:
            raise OperatorOnlyError("This endpoint is for operator tokens only.")
        scope.setdefault("state", {})[_PRINCIPAL] = principal
        await next_app(scope, receive, send)

    def _authenticate(self, scope: Scope) -> Principal:
        header = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        if header is None:
            raise AuthenticationError("Send an API token: `Authorization: Bearer <token>`.")
        scheme, _, secret = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthenticationError("The Authorization header must be `Bearer <token>`.")
        principal = self._tokens.authenticate(secret.strip())
        if principal is None:
            raise AuthenticationError("The token is unknown or was revoked.")
        return principal


def principal_of(request: Request[Any, Any, Any]) -> Principal:
    """The authenticated caller of a private route."""
    principal = request.scope.get("state", {}).get(_PRINCIPAL)
    if not isinstance(principal, Principal):
        raise AuthenticationError("Send an API token: `Authorization: Bearer <token>`.")
    return principal
