"""The anchor of the HTTP suite: ``GET /payments/{id}`` on FastAPI, reading the same engine.

It does what our Litestar route does for that request, the way FastAPI's docs show it: a
bearer token checked against the same hashed token file, ``GetPayment`` asked of the same
query bus (scoped to the caller's organization), the document returned as JSON with its
version as ``ETag``, 404 for a payment that is not the caller's. Run it as
``python -m bench.anchors.fastapi_billing --data-dir DIR --port PORT``.
"""

# No ``from __future__ import annotations`` here: FastAPI resolves the dependencies named in
# the route's annotations, and the closures below are not module globals.
import argparse
import gc
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from billing.application.queries import GetPayment
from billing.entrypoints.http.tokens import Principal, TokenStore
from eventram import NotFoundError

__all__ = ["create_fastapi_app", "main"]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    return value


def create_fastapi_app(services: Any, tokens: TokenStore) -> FastAPI:
    """The FastAPI app over a built billing service (``billing.bootstrap.build``)."""
    app = FastAPI(title="billing (FastAPI anchor)")
    bearer = HTTPBearer()

    def principal(
        credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
    ) -> Principal:
        found = tokens.authenticate(credentials.credentials)
        if found is None:
            raise HTTPException(status_code=401, detail="The token is unknown or was revoked.")
        return found

    @app.get("/payments/{payment_id}")
    def get_payment(
        payment_id: str,
        response: Response,
        caller: Annotated[Principal, Depends(principal)],
    ) -> dict[str, Any]:
        try:
            view = services.queries.ask(
                GetPayment(
                    payment_id=payment_id,
                    organization_id=caller.organization_id,
                    operator=caller.operator,
                )
            )
        except NotFoundError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        response.headers["ETag"] = f'"{view.version}"'
        return {name: _plain(getattr(view, name)) for name in view.__struct_fields__}

    return app


def main() -> None:
    """Serve the anchor with uvicorn over a data directory (journal and tokens)."""
    import uvicorn

    from billing.bootstrap import Settings, build

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    services = build(Settings(data_dir=args.data_dir))
    gc.collect()
    gc.freeze()  # as `billing serve` does after the replay, so both servers' collectors match
    try:
        app = create_fastapi_app(services, TokenStore(args.data_dir))
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    finally:
        services.close()


if __name__ == "__main__":
    main()
