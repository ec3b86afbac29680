"""One set of answer types: the query handlers return them and HTTP returns them as they are."""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import msgspec

import billing.entrypoints.http
from billing.application import answers
from billing.application.answers import PaymentStatistics, PaymentView

ANSWERS = {
    cls
    for _, cls in inspect.getmembers(answers, inspect.isclass)
    if issubclass(cls, msgspec.Struct) and cls.__module__ == answers.__name__
}
HTTP = Path(billing.entrypoints.http.__file__).parent


def _http_classes() -> dict[str, set[str]]:
    """Every class of the HTTP package and its annotated fields (read, not imported: importing
    the routes outside the app would only test Litestar's import-time warnings)."""
    classes: dict[str, set[str]] = {}
    for path in sorted(HTTP.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ClassDef):
                classes[f"{path.stem}.{node.name}"] = {
                    item.target.id
                    for item in node.body
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                }
    return classes


def test_no_http_body_copies_an_answer() -> None:
    http = _http_classes()
    copies = [
        (body, answer.__name__)
        for body, fields in http.items()
        for answer in ANSWERS
        if fields == set(answer.__struct_fields__)
    ]
    assert len(ANSWERS) >= 9
    assert "schemas.CommandResponse" in http
    assert copies == []


def test_amounts_are_encoded_as_decimal_strings_in_their_currency_scale() -> None:
    at = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    view = PaymentView(
        payment_id="p-1",
        organization_id="org-1",
        user_id="u-1",
        amount=Decimal("1.234"),
        currency="KWD",
        status="completed",
        description="",
        metadata={},
        created_at=at,
        processed_at=at,
        failed_at=None,
        error=None,
        refunded_amount=Decimal("0.000"),
        refunded_at=None,
        updated_at=at,
        indexed_at=at,
        version=2,
    )
    encoded = msgspec.json.decode(msgspec.json.encode(view))

    assert (encoded["amount"], encoded["refunded_amount"]) == ("1.234", "0.000")
    assert encoded["created_at"] == "2026-01-31T12:00:00Z"
    assert encoded["failed_at"] is None


def test_statistics_sum_per_currency_as_decimal_strings() -> None:
    stats = PaymentStatistics(
        total=2,
        by_status={"completed": 1, "pending": 1},
        by_currency={"EUR": 1, "JPY": 1},
        total_amount={"EUR": Decimal("100.50"), "JPY": Decimal(5)},
        processed_amount={"EUR": Decimal("100.50")},
        refunded_amount={"EUR": Decimal("0.50")},
        net_amount={"EUR": Decimal("100.00")},
        by_day={"2026-01-31": 2},
    )

    encoded = msgspec.json.decode(msgspec.json.encode(stats))

    assert encoded["total_amount"] == {"EUR": "100.50", "JPY": "5"}
    assert encoded["net_amount"] == {"EUR": "100.00"}
