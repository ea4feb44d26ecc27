"""``/api/v1/calls``: filters, phone search, keyset pages, detail, recording with Range, re-runs."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from crm_app.models import utcnow
from tests.api.conftest import headers_for
from tests.conftest import Database
from tests.factories import make_call, make_lead, make_tenant

WAV = b"RIFF" + bytes(range(256)) * 40  # stand-in bytes: the route serves what is stored


def test_calls_list_newest_first_with_filters_and_phone_search(
    db: Database, client: TestClient
) -> None:
    tenant, other = make_tenant(), make_tenant(name="אחר")
    lead = make_lead(tenant, name="רותי", phone="0541234567")
    now = utcnow()
    recorded = make_call(tenant, lead, recording=WAV, started_at=now - timedelta(hours=1))
    missed = make_call(tenant, None, status="no-answer", started_at=now - timedelta(hours=2))
    outbound = make_call(tenant, lead, direction="outbound", started_at=now - timedelta(days=3))
    make_call(other, None)  # another business: never listed
    headers = headers_for(tenant, "agent")

    def ids(**params: str) -> list[int]:
        response = client.get("/api/v1/calls", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [recorded.id, missed.id, outbound.id]
    assert ids(direction="outbound") == [outbound.id]
    assert ids(status="no-answer") == [missed.id]
    assert ids(has_recording="true") == [recorded.id]
    assert ids(has_recording="false") == [missed.id, outbound.id]
    assert ids(lead_id=str(lead.id)) == [recorded.id, outbound.id]
    for typed in ("054-123", "0541234567", "+972541234567", "972 54 123 4567"):
        assert ids(q=typed) == [recorded.id, outbound.id], typed
    day = (now - timedelta(days=3)).astimezone(ZoneInfo("Asia/Jerusalem")).date().isoformat()
    assert outbound.id in ids(**{"from": day, "to": day})
    body = client.get("/api/v1/calls", headers=headers).json()
    assert body["total"] == 3 and body["total_exact"]
    first = body["items"][0]
    assert first["lead_name"] == "רותי" and first["has_recording"] is True
    bad = client.get("/api/v1/calls", params={"direction": "sideways"}, headers=headers)
    assert bad.status_code == 422 and "direction" in bad.json()["error"]["message"]


def test_calls_page_by_cursor_without_gaps_or_repeats(db: Database, client: TestClient) -> None:
    tenant = make_tenant()
    made = [make_call(tenant, None, started_at=utcnow() - timedelta(minutes=i)) for i in range(7)]
    headers = headers_for(tenant)
    seen, cursor, pages = [], "", 0
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/calls", params=params, headers=headers).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        if not body["next_cursor"]:
            break
        cursor = body["next_cursor"]
    assert seen == [c.id for c in made] and pages == 3
    back = client.get(
        "/api/v1/calls", params={"limit": "3", "cursor": body["prev_cursor"]}, headers=headers
    ).json()
    assert [item["id"] for item in back["items"]] == [c.id for c in made[3:6]]


def test_a_call_shows_its_transcript_summary_metadata_and_steps(
    db: Database, client: TestClient
) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant, name="משה")
    transcript = [
        {"speaker": "agent", "text": "שלום", "start_ms": 0, "end_ms": 900, "interrupted": True},
        {"speaker": "caller", "text": "היי", "start_ms": 600, "end_ms": 1500},
    ]
    call = make_call(
        tenant,
        lead,
        recording=WAV,
        audio_duration_sec=1.5,
        transcript=transcript,
        transcript_source="recording",
        summary="הלקוח ביקש תור.",
        pipeline={"state": "done", "steps": {"download": {"state": "done", "message": "1 KB"}}},
    )
    body = client.get(f"/api/v1/calls/{call.id}", headers=headers_for(tenant, "agent")).json()
    assert body["recording_url"] == f"/api/v1/calls/{call.id}/recording"
    assert (body["audio_bytes_len"], body["audio_duration_sec"]) == (len(WAV), 1.5)
    assert body["transcript_source"] == "recording" and body["summary"] == "הלקוח ביקש תור."
    assert [(u["speaker"], u["interrupted"]) for u in body["transcript"]] == [
        ("agent", True),
        ("caller", False),
    ]
    assert body["pipeline"][0] == {
        "name": "download",
        "state": "done",
        "message": "1 KB",
        "attempts": 0,
    }
    assert body["pipeline"][1]["state"] == "pending" and body["lead_name"] == "משה"


def test_the_recording_is_served_with_range_to_its_business_only(
    db: Database, client: TestClient
) -> None:
    tenant, other = make_tenant(), make_tenant(name="אחר")
    call = make_call(tenant, None, recording=WAV)
    silent = make_call(tenant, None)
    headers = headers_for(tenant, "agent")

    whole = client.get(f"/api/v1/calls/{call.id}/recording", headers=headers)
    assert whole.status_code == 200 and whole.content == WAV
    assert whole.headers["content-type"] == "audio/wav"
    assert whole.headers["x-content-type-options"] == "nosniff"
    assert whole.headers["content-disposition"].startswith("inline;")
    part = client.get(
        f"/api/v1/calls/{call.id}/recording", headers={**headers, "Range": "bytes=100-199"}
    )
    assert part.status_code == 206 and part.content == WAV[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(WAV)}"

    missing = client.get(f"/api/v1/calls/{silent.id}/recording", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"]
    for url in (f"/api/v1/calls/{call.id}", f"/api/v1/calls/{call.id}/recording"):
        assert client.get(url, headers=headers_for(other)).status_code == 404
        assert client.get(url).status_code == 401


@pytest.mark.parametrize(("role", "expected"), [("agent", 403), ("admin", 202), ("owner", 202)])
def test_only_owners_and_admins_rerun_failed_steps(
    db: Database, client: TestClient, role: str, expected: int
) -> None:
    from crm_app.jobs.queue import use_queue

    class Remember:
        def __init__(self) -> None:
            self.runs: list[int] = []

        def enqueue(self, call_id: int, *, final: bool = False, delay: float = 0.0) -> None:
            self.runs.append(call_id)

        def send_texts(self) -> None:
            """No texts here."""

    queue = Remember()
    previous = use_queue(queue)
    try:
        tenant = make_tenant()
        call = make_call(
            tenant,
            None,
            pipeline={
                "state": "failed",
                "steps": {
                    "download": {"state": "done"},
                    "metadata": {"state": "done"},
                    "transcribe": {"state": "done"},
                    "summarize": {"state": "failed", "message": "timed out"},
                },
            },
        )
        response = client.post(
            f"/api/v1/calls/{call.id}/pipeline/retry", headers=headers_for(tenant, role)
        )
    finally:
        use_queue(previous)
    assert response.status_code == expected, response.text
    if expected == 202:
        assert response.json() == {
            "steps": ["summarize", "extract", "note", "fill", "status", "callback", "alert"]
        }
        assert queue.runs == [call.id]
    else:
        assert queue.runs == []
