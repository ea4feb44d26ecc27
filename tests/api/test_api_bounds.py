"""Crafted cursors and ids beyond BIGINT are the client's error (422 or 404), never a 500."""

from __future__ import annotations

import base64
import json

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import headers_for
from tests.conftest import Database
from tests.factories import make_call, make_lead, make_tenant

HUGE = str(2**65 - 1)  # 36893488147419103231: beyond 64 bits


def _token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


CRAFTED = [
    _token(["2026-11-01T00:00:00+00:00", 2**70, False]),  # an id beyond BIGINT
    _token(["2026-11-01T00:00:00", 1, False]),  # a timestamp without a zone
    _token([["not", "a", "date"], 1, False]),
    _token({"a": 1, "b": 2, "c": 3}),  # three keys unpack like a list
    _token(["2026-11-01T00:00:00+00:00", True, False]),
    _token(["2026-11-01T00:00:00+00:00", 1, "yes"]),
    base64.urlsafe_b64encode(b"[" * 1500).decode(),  # nesting beyond the recursion limit
    "%%%not-base64",
]


def _assert_invalid(response_status: int, body: dict[str, object]) -> None:
    assert response_status == 422, body
    error = body["error"]
    assert isinstance(error, dict) and error["code"] == "invalid" and error["message"]


@pytest.mark.parametrize("cursor", CRAFTED)
def test_a_crafted_lead_list_cursor_is_422_with_the_error_body(
    db: Database, client: TestClient, cursor: str
) -> None:
    tenant = make_tenant()
    make_lead(tenant)
    response = client.get("/api/v1/leads", params={"cursor": cursor}, headers=headers_for(tenant))
    _assert_invalid(response.status_code, response.json())


@pytest.mark.parametrize(
    ("sort", "value"),
    [("status", "first"), ("status", 2**40), ("name", 5), ("name", "a\x00b"), ("source", None)],
)
def test_a_cursor_of_another_type_than_the_sort_is_422(
    db: Database, client: TestClient, sort: str, value: object
) -> None:
    tenant = make_tenant()
    make_lead(tenant)
    response = client.get(
        "/api/v1/leads",
        params={"cursor": _token([value, 1, False]), "sort": sort},
        headers=headers_for(tenant),
    )
    _assert_invalid(response.status_code, response.json())


def test_a_real_cursor_still_pages(db: Database, client: TestClient) -> None:
    tenant = make_tenant()
    for name in ("א", "ב", "ג"):
        make_lead(tenant, name=name)
    headers = headers_for(tenant)
    for sort in ("name", "-status", "created_at"):
        first = client.get("/api/v1/leads", params={"limit": 2, "sort": sort}, headers=headers)
        cursor = first.json()["next_cursor"]
        second = client.get(
            "/api/v1/leads", params={"limit": 2, "sort": sort, "cursor": cursor}, headers=headers
        )
        assert second.status_code == 200 and len(second.json()["items"]) == 1


@pytest.mark.parametrize("cursor", CRAFTED)
def test_a_crafted_call_list_cursor_is_422_with_the_error_body(
    db: Database, client: TestClient, cursor: str
) -> None:
    tenant = make_tenant()
    make_call(tenant)
    response = client.get("/api/v1/calls", params={"cursor": cursor}, headers=headers_for(tenant))
    _assert_invalid(response.status_code, response.json())


@pytest.mark.parametrize("cursor", [f"2026-11-01T00:00:00+00:00|{HUGE}", "2026-11-01T00:00|1"])
def test_a_crafted_audit_cursor_is_422(db: Database, client: TestClient, cursor: str) -> None:
    tenant = make_tenant()
    response = client.get("/api/v1/audit", params={"cursor": cursor}, headers=headers_for(tenant))
    _assert_invalid(response.status_code, response.json())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/v1/leads/{HUGE}"),
        ("PATCH", f"/api/v1/leads/{HUGE}"),
        ("POST", f"/api/v1/leads/{HUGE}/status"),
        ("GET", f"/api/v1/leads/{HUGE}/notes"),
        ("POST", f"/api/v1/leads/{HUGE}/notes"),
        ("PATCH", f"/api/v1/notes/{HUGE}"),
        ("DELETE", f"/api/v1/notes/{HUGE}"),
        ("GET", f"/api/v1/calls/{HUGE}"),
        ("GET", f"/api/v1/calls/{HUGE}/recording"),
        ("POST", f"/api/v1/calls/{HUGE}/pipeline/retry"),
        ("GET", f"/api/v1/exports/{HUGE}"),
        ("GET", f"/api/v1/exports/{HUGE}/file"),
        ("PATCH", f"/api/v1/users/{HUGE}"),
        ("DELETE", f"/api/v1/tokens/{HUGE}"),
    ],
)
def test_an_id_beyond_64_bits_in_a_path_is_refused_not_a_500(
    db: Database, client: TestClient, method: str, path: str
) -> None:
    tenant = make_tenant()
    kwargs: dict[str, object] = {}
    if method == "POST" and path.endswith("/notes"):
        kwargs["data"] = {"text": "שלום"}
    elif method in ("PATCH", "POST") and "/notes/" not in path:
        kwargs["json"] = {"status": "new"} if path.endswith("/status") else {}
    elif method == "PATCH":
        kwargs["data"] = {"text": "שלום"}
    response = client.request(method, path, headers=headers_for(tenant), **kwargs)  # type: ignore[arg-type]
    assert response.status_code in (404, 422), response.text
    assert response.json()["error"]["code"] in ("not_found", "invalid")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/calls", {"lead_id": HUGE}),
        ("/api/v1/leads", {"owner": HUGE}),
        ("/api/v1/audit", {"actor_id": HUGE}),
    ],
)
def test_an_id_beyond_64_bits_in_a_filter_is_422(
    db: Database, client: TestClient, path: str, params: dict[str, str]
) -> None:
    tenant = make_tenant()
    response = client.get(path, params=params, headers=headers_for(tenant))
    _assert_invalid(response.status_code, response.json())


def test_an_owner_id_beyond_64_bits_in_a_body_is_422(db: Database, client: TestClient) -> None:
    tenant = make_tenant()
    response = client.post(
        "/api/v1/leads",
        json={"phone": "0541234567", "owner_id": int(HUGE)},
        headers=headers_for(tenant),
    )
    _assert_invalid(response.status_code, response.json())


def test_a_cursor_of_the_list_in_another_order_starts_from_the_first_page(
    db: Database, client: TestClient
) -> None:
    tenant = make_tenant()
    for name in ("א", "ב", "ג"):
        make_lead(tenant, name=name)
    headers = headers_for(tenant)
    by_name = client.get("/api/v1/leads", params={"limit": 2, "sort": "name"}, headers=headers)
    cursor = by_name.json()["next_cursor"]
    newest = client.get(
        "/api/v1/leads", params={"limit": 2, "cursor": cursor}, headers=headers
    )  # the default order, newest first
    assert newest.status_code == 200
    assert [i["name"] for i in newest.json()["items"]] == ["ג", "ב"]


def test_options_names_every_method_of_the_path(db: Database, client: TestClient) -> None:
    options = client.options("/api/v1/leads/1")
    assert options.status_code == 204
    assert options.headers["allow"] == "GET, PATCH, OPTIONS"
    tenant = make_tenant()
    refused = client.put("/api/v1/leads/1", json={}, headers=headers_for(tenant))
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, PATCH, OPTIONS"
    assert refused.json()["error"]["code"] == "method_not_allowed"


def test_an_undeclared_method_is_405_even_without_credentials(client: TestClient) -> None:
    response = client.put("/api/v1/notes/1")
    assert response.status_code == 405 and response.headers["allow"] == "DELETE, PATCH, OPTIONS"


def test_every_error_answer_in_the_document_is_the_error_schema(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")) and path != "/health":
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)
    sort = next(p for p in document["paths"]["/leads"]["get"]["parameters"] if p["name"] == "sort")
    assert "-created_at" in sort["schema"]["enum"]


def test_a_path_no_route_takes_is_a_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/tokens/a%0Ab")  # a newline: not even the API's mount matches
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_nul_character_in_a_body_is_a_422_naming_the_field_and_changes_nothing(
    client: TestClient,
) -> None:
    tenant = make_tenant()
    auth = headers_for(tenant, "agent")
    lead = make_lead(tenant, name="דנה")

    patched = client.patch(f"/api/v1/leads/{lead.id}", json={"name": "a\x00b"}, headers=auth)
    assert patched.status_code == 422, patched.text
    assert "name holds a NUL character" in patched.json()["error"]["message"]
    custom = client.patch(
        f"/api/v1/leads/{lead.id}", json={"custom_fields": {"x\x00": "1"}}, headers=auth
    )
    assert custom.status_code == 422
    note = client.post(f"/api/v1/leads/{lead.id}/notes", data={"text": "a\x00b"}, headers=auth)
    assert note.status_code == 422
    task = client.post(
        "/api/v1/tasks",
        json={"title": "call\x00", "due_at": "2026-12-03T10:00:00+02:00"},
        headers=auth,
    )
    assert task.status_code == 422
    after = client.get(f"/api/v1/leads/{lead.id}", headers=auth).json()
    assert after["name"] == "דנה" and after["custom_fields"] == {}
    assert client.get(f"/api/v1/leads/{lead.id}/notes", headers=auth).json() == []
