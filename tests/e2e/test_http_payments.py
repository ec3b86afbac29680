"""The payments API driven over HTTP like a client: commands, reads, searches, statistics."""

from __future__ import annotations

from typing import Any

from tests.e2e.http_client import assert_problem, create_payment, process
from tests.e2e.http_harness import Tenant


def test_requesting_a_payment_answers_201_with_location_etag_version_and_position(
    org: Tenant,
) -> None:
    response = org.client.post(
        "/payments",
        json={
            "user_id": "user-1",
            "amount": "100.00",
            "currency": "EUR",
            "description": "Cloud resources, March",
            "metadata": {"workflow": "wf-1"},
        },
    )

    assert response.status_code == 201, response.text
    body = response.json()
    payment = body["payment"]
    assert response.headers["location"] == f"/payments/{payment['payment_id']}"
    assert response.headers["etag"] == '"1"'
    assert body["version"] == 1
    assert body["position"] >= 1
    assert payment["organization_id"] == org.organization_id
    assert payment["amount"] == "100.00"
    assert payment["currency"] == "EUR"
    assert payment["status"] == "pending"
    assert payment["metadata"] == {"workflow": "wf-1"}
    assert payment["created_at"].endswith("Z")


def test_a_client_chosen_payment_id_that_exists_is_a_409(org: Tenant) -> None:
    create_payment(org, payment_id="pay-dup-1")

    response = org.client.post(
        "/payments",
        json={"payment_id": "pay-dup-1", "user_id": "u", "amount": "1.00", "currency": "EUR"},
    )

    assert_problem(response, 409)


def test_a_payment_goes_through_process_and_partial_then_full_refund(org: Tenant) -> None:
    created = create_payment(org, amount="80.00")
    payment_id = created["payment"]["payment_id"]

    processed = process(org, created)
    first = org.client.post(
        f"/payments/{payment_id}/refund", json={"amount": "30.00", "reason": "one seat less"}
    )
    second = org.client.post(f"/payments/{payment_id}/refund", json={"amount": "50.00"})

    assert processed["payment"]["status"] == "completed"
    assert processed["version"] == 2
    assert processed["payment"]["processed_at"] is not None
    assert first.status_code == 200, first.text
    assert first.json()["payment"]["status"] == "partially_refunded"
    assert first.json()["payment"]["refunded_amount"] == "30.00"
    assert second.status_code == 200, second.text
    assert second.json()["payment"]["status"] == "refunded"
    assert second.json()["payment"]["refunded_amount"] == "80.00"
    assert second.json()["position"] > first.json()["position"] > processed["position"]


def test_failing_a_pending_payment_records_the_error(org: Tenant) -> None:
    payment_id = create_payment(org)["payment"]["payment_id"]

    response = org.client.post(f"/payments/{payment_id}/fail", json={"error": "card declined"})

    assert response.status_code == 200, response.text
    assert response.json()["payment"]["status"] == "failed"
    assert response.json()["payment"]["error"] == "card declined"


def test_domain_rules_broken_over_http_are_409_conflicts(org: Tenant) -> None:
    created = create_payment(org, amount="10.00")
    payment_id = created["payment"]["payment_id"]

    refund_pending = org.client.post(f"/payments/{payment_id}/refund", json={"amount": "1.00"})
    wrong_amount = org.client.post(
        f"/payments/{payment_id}/process", json={"amount": "9.00", "currency": "EUR"}
    )
    process(org, created)
    process_again = org.client.post(
        f"/payments/{payment_id}/process", json={"amount": "10.00", "currency": "EUR"}
    )
    too_much = org.client.post(f"/payments/{payment_id}/refund", json={"amount": "10.01"})

    assert_problem(refund_pending, 409)
    assert_problem(wrong_amount, 409)
    assert_problem(process_again, 409)
    assert_problem(too_much, 409, field="amount")


def test_invalid_input_is_a_422_naming_the_field(org: Tenant) -> None:
    base: dict[str, Any] = {"user_id": "u", "amount": "10.00", "currency": "EUR"}

    cases = {
        "amount": {**base, "amount": "10.001"},
        "currency": {**base, "currency": "ZZZ"},
        "user_id": {"amount": "10.00", "currency": "EUR"},
    }
    for field, body in cases.items():
        assert_problem(org.client.post("/payments", json=body), 422, field=field)
    assert_problem(org.client.post("/payments", json={**base, "amount": "-5.00"}), 422, "amount")
    assert_problem(org.client.post("/payments", json={**base, "amount": 10}), 422, "amount")
    assert_problem(org.client.post("/payments", json={**base, "extra": 1}), 422, "extra")


def test_a_body_that_is_not_json_is_a_400(org: Tenant) -> None:
    response = org.client.post(
        "/payments", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert_problem(response, 400)


def test_a_body_over_64_kib_is_a_413(org: Tenant) -> None:
    body = {"user_id": "u", "amount": "1.00", "currency": "EUR", "description": "x" * 70_000}

    assert_problem(org.client.post("/payments", json=body), 413)
    assert_problem(
        org.client.post("/payments", json=body, headers={"Idempotency-Key": "big-1"}), 413
    )


def test_get_payment_returns_the_document_with_its_version_as_etag(org: Tenant) -> None:
    created = create_payment(org)
    process(org, created)
    payment_id = created["payment"]["payment_id"]

    response = org.client.get(f"/payments/{payment_id}")
    not_modified = org.client.get(f"/payments/{payment_id}", headers={"If-None-Match": '"2"'})

    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    assert response.json()["status"] == "completed"
    assert response.json()["version"] == 2
    assert not_modified.status_code == 304


def test_an_unknown_payment_is_a_404(org: Tenant) -> None:
    assert_problem(org.client.get("/payments/pay-does-not-exist"), 404)
    assert_problem(org.client.get("/payments/pay-does-not-exist/history"), 404)
    response = org.client.post(
        "/payments/pay-does-not-exist/process", json={"amount": "1.00", "currency": "EUR"}
    )
    assert_problem(response, 404)


def test_if_match_is_the_expected_version(org: Tenant) -> None:
    created = create_payment(org, amount="20.00")
    payment_id = created["payment"]["payment_id"]
    body = {"amount": "20.00", "currency": "EUR"}

    stale = org.client.post(
        f"/payments/{payment_id}/process", json=body, headers={"If-Match": '"7"'}
    )
    fresh = org.client.post(
        f"/payments/{payment_id}/process", json=body, headers={"If-Match": '"1"'}
    )
    garbled = org.client.post(
        f"/payments/{payment_id}/refund", json={"amount": "1.00"}, headers={"If-Match": "v1"}
    )

    assert_problem(stale, 412, field="If-Match")
    assert fresh.status_code == 200, fresh.text
    assert fresh.headers["etag"] == '"2"'
    assert_problem(garbled, 400)
    assert org.client.get(f"/payments/{payment_id}").json()["version"] == 2


def test_every_get_accepts_min_position_and_refuses_one_beyond_the_log(org: Tenant) -> None:
    created = create_payment(org, description="Position check")
    position = created["position"]
    payment_id = created["payment"]["payment_id"]

    for path in (
        f"/payments/{payment_id}",
        "/payments",
        "/payments/statistics",
        "/payments/suggestions?q=Posi",
        f"/payments/{payment_id}/history",
        "/events",
        "/events/statistics",
        "/events/trends",
    ):
        sep = "&" if "?" in path else "?"
        ok = org.client.get(f"{path}{sep}min_position={position}")
        beyond = org.client.get(f"{path}{sep}min_position={position + 10_000_000}")
        assert ok.status_code == 200, (path, ok.text)
        assert_problem(beyond, 422, field="min_position")


def test_search_filters_sorts_and_pages_within_the_organization(org: Tenant) -> None:
    small = create_payment(org, amount="5.00", user_id="alice", description="Storage small")
    create_payment(org, amount="50.00", user_id="bob", description="Compute medium")
    big = create_payment(org, amount="500.00", currency="USD", user_id="alice", description="GPU")
    process(org, big)

    by_user = org.client.get("/payments", params={"user_id": "alice", "sort": "amount"}).json()
    usd_done = org.client.get(
        "/payments", params=[("currency", "USD"), ("status", "completed"), ("status", "refunded")]
    ).json()
    ranged = org.client.get("/payments", params={"min_amount": "10", "max_amount": "100"}).json()
    text = org.client.get("/payments", params={"q": "stor"}).json()
    paged = org.client.get("/payments", params={"size": 2, "page": 2, "sort": "-amount"}).json()

    assert [p["amount"] for p in by_user["items"]] == ["5.00", "500.00"]
    assert by_user["total"] == 2
    assert [p["payment_id"] for p in usd_done["items"]] == [big["payment"]["payment_id"]]
    assert [p["amount"] for p in ranged["items"]] == ["50.00"]
    assert [p["payment_id"] for p in text["items"]] == [small["payment"]["payment_id"]]
    assert paged["total"] == 3
    assert paged["page"] == 2
    assert paged["size"] == 2
    assert [p["amount"] for p in paged["items"]] == ["5.00"]


def test_bad_search_parameters_are_422_naming_the_field(org: Tenant) -> None:
    assert_problem(org.client.get("/payments", params={"status": "lost"}), 422, "status")
    assert_problem(org.client.get("/payments", params={"sort": "secret"}), 422, "sort")
    assert_problem(org.client.get("/payments", params={"size": 5000}), 422, "size")
    assert_problem(org.client.get("/payments", params={"min_amount": "ten"}), 422, "min_amount")
    assert_problem(org.client.get("/payments", params={"from": "yesterday"}), 422, "from")


def test_statistics_count_by_status_and_sum_per_currency(org: Tenant) -> None:
    process(org, create_payment(org, amount="10.00"))
    create_payment(org, amount="2.50")
    create_payment(org, amount="7.00", currency="USD")

    stats = org.client.get("/payments/statistics").json()

    assert stats["total"] == 3
    assert stats["by_status"] == {"completed": 1, "pending": 2}
    assert stats["by_currency"] == {"EUR": 2, "USD": 1}
    assert stats["total_amount"] == {"EUR": "12.50", "USD": "7.00"}


def test_suggestions_complete_descriptions(org: Tenant) -> None:
    create_payment(org, description="Kubernetes cluster")
    create_payment(org, description="Kubeflow pipeline")
    create_payment(org, description="Object storage")

    suggestions = org.client.get("/payments/suggestions", params={"q": "kube"}).json()

    assert sorted(s["text"] for s in suggestions) == ["Kubeflow pipeline", "Kubernetes cluster"]
    assert all(0 <= s["score"] <= 1 for s in suggestions)


def test_history_lists_the_events_with_their_envelopes(org: Tenant) -> None:
    created = create_payment(org)
    process(org, created)
    payment_id = created["payment"]["payment_id"]

    history = org.client.get(f"/payments/{payment_id}/history").json()

    assert [e["event_type"] for e in history["events"]] == ["PaymentRequested", "PaymentProcessed"]
    assert [e["version"] for e in history["events"]] == [1, 2]
    first = history["events"][0]
    assert first["stream_id"] == payment_id
    assert first["metadata"]["organization_id"] == org.organization_id
    assert first["recorded_at"].endswith("Z")
    assert first["event_id"]
    assert first["data"]["amount"] == "100.00"


def test_events_search_statistics_and_trends(org: Tenant) -> None:
    created = create_payment(org)
    process(org, created)
    create_payment(org)

    requested = org.client.get("/events", params={"type": "PaymentRequested"}).json()
    correlated = org.client.get(
        "/events", params={"correlation_id": requested["items"][0]["correlation_id"]}
    ).json()
    stats = org.client.get("/events/statistics", params={"type": "PaymentRequested"}).json()
    trends = org.client.get(
        "/events/trends", params={"type": "PaymentProcessed", "interval": "month"}
    ).json()

    assert requested["total"] == 2
    assert {e["event_type"] for e in requested["items"]} == {"PaymentRequested"}
    assert correlated["total"] == 1
    assert stats["total"] == 2
    assert stats["by_organization"] == {org.organization_id: 2}
    assert trends["interval"] == "month"
    assert sum(trends["buckets"].values()) == 1
