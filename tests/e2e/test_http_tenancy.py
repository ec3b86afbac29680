"""Tenant isolation: nothing of one organization is visible to another, on any endpoint."""

from __future__ import annotations

from tests.e2e.http_client import assert_problem, create_payment, process
from tests.e2e.http_harness import Tenant


def test_another_organizations_payment_is_a_404_for_reads_and_commands(
    org: Tenant, other_org: Tenant
) -> None:
    created = create_payment(org, amount="10.00")
    payment_id = created["payment"]["payment_id"]

    assert_problem(other_org.client.get(f"/payments/{payment_id}"), 404)
    assert_problem(other_org.client.get(f"/payments/{payment_id}/history"), 404)
    for action, body in (
        ("process", {"amount": "10.00", "currency": "EUR"}),
        ("fail", {"error": "stolen"}),
        ("refund", {"amount": "1.00", "currency": "EUR"}),
    ):
        response = other_org.client.post(f"/payments/{payment_id}/{action}", json=body)
        assert_problem(response, 404)
        with_if_match = other_org.client.post(
            f"/payments/{payment_id}/{action}", json=body, headers={"If-Match": '"99"'}
        )
        assert_problem(with_if_match, 404)
    assert org.client.get(f"/payments/{payment_id}").json()["status"] == "pending"


def test_every_route_naming_a_payment_is_a_404_to_another_organization(
    org: Tenant, other_org: Tenant
) -> None:
    created = org.client.post(
        "/payments",
        json={"user_id": "u", "amount": "10.00", "currency": "EUR"},
        headers={"Idempotency-Key": "shared"},
    ).json()
    payment_id = created["payment"]["payment_id"]
    position = created["position"]

    for path in (f"/payments/{payment_id}", f"/payments/{payment_id}/history"):
        assert_problem(other_org.client.get(path), 404)
        assert_problem(other_org.client.get(f"{path}?min_position={position}"), 404)
    for n, (action, body) in enumerate(
        (
            ("process", {"amount": "10.00", "currency": "EUR"}),
            ("fail", {"error": "stolen"}),
            ("refund", {"amount": "1.00", "currency": "EUR", "reason": "r"}),
            ("refund", {"amount": "1.00", "reason": "r"}),
        )
    ):
        key = "shared" if n == 0 else f"mine-{n}"  # "shared" is org's key too: scopes differ
        for headers in ({}, {"If-Match": '"1"'}, {"Idempotency-Key": key}):
            response = other_org.client.post(
                f"/payments/{payment_id}/{action}", json=body, headers=headers
            )
            assert_problem(response, 404)
    mine = org.client.get(f"/payments/{payment_id}").json()
    assert (mine["status"], mine["version"]) == ("pending", 1)


def test_searches_statistics_suggestions_and_events_see_only_the_callers_data(
    org: Tenant, other_org: Tenant
) -> None:
    # the other organization reads first, so that a cache shared across tenants would show
    for client in (other_org.client, org.client):
        client.get("/payments")
        client.get("/payments/statistics")
    created = create_payment(org, description="Confidential merger", amount="999.00")
    process(org, created)
    correlation = org.client.get(f"/payments/{created['payment']['payment_id']}/history").json()[
        "events"
    ][0]["correlation_id"]

    search = other_org.client.get("/payments", params={"q": "confidential"}).json()
    everything = other_org.client.get("/payments").json()
    stats = other_org.client.get("/payments/statistics").json()
    suggestions = other_org.client.get("/payments/suggestions", params={"q": "conf"}).json()
    events = other_org.client.get("/events").json()
    by_correlation = other_org.client.get("/events", params={"correlation_id": correlation}).json()
    event_stats = other_org.client.get("/events/statistics").json()
    trends = other_org.client.get("/events/trends").json()

    assert search["total"] == 0
    assert everything["total"] == 0
    assert stats["total"] == 0
    assert stats["total_amount"] == {}
    assert suggestions == []
    assert events["total"] == 0
    assert by_correlation["total"] == 0
    assert event_stats["total"] == 0
    assert event_stats["by_organization"] == {}
    assert sum(trends["buckets"].values()) == 0
    mine = org.client.get("/payments/statistics").json()
    assert mine["total"] == 1
    assert mine["total_amount"] == {"EUR": "999.00"}


def test_the_same_client_payment_id_cannot_be_taken_across_organizations(
    org: Tenant, other_org: Tenant
) -> None:
    create_payment(org, payment_id="pay-shared-id")

    response = other_org.client.post(
        "/payments",
        json={"payment_id": "pay-shared-id", "user_id": "u", "amount": "1.00", "currency": "EUR"},
    )

    # a conflict, but nothing of the first payment is in the answer
    problem = assert_problem(response, 409)
    assert org.organization_id is not None
    assert org.organization_id not in response.text
    assert "1.00" not in problem["detail"]


def test_an_operator_sees_every_organization(
    org: Tenant, other_org: Tenant, operator: Tenant
) -> None:
    a = create_payment(org)["payment"]["payment_id"]
    b = create_payment(other_org)["payment"]["payment_id"]

    assert operator.client.get(f"/payments/{a}").status_code == 200
    assert operator.client.get(f"/payments/{b}").status_code == 200
