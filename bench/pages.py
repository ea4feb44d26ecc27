"""Pages benchmark: how soon a person sees the lead list and a lead page, in chromium.

For a phone's 390 px and a desktop's 1366 px, the time from navigation to

- the lead list's first row, cold (a new browser context: no cache, the session cookie
  only) and in-app (a click on the header's Leads link from a lead page);
- a lead page's timeline, cold and in-app (a click on a lead in the list);

against the anchor measured by the same browser on the same server in the same run: a
plain HTML page with the same 50 rows, cold and reached by a click on a link.

The server is the app as ``make run`` serves it (the production build, the backend
serving the compiled frontend on one port) plus the anchor's one route, which only this
benchmark's server has. The benchmark binds the port before the build (port 0) and hands
the socket to the server.

Run: ``python -m bench pages [--samples N]``.
"""

from __future__ import annotations

import argparse
import html
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import ensure_database, listening_socket, serve_inherited, start_server
from crm_app.db import build_engine, unit_of_work, use_engine
from crm_app.i18n.formats import local_datetime
from crm_app.migrate import upgrade_to_head
from crm_app.models import LeadSource, utcnow
from crm_app.services import lead_query, leads, notes
from crm_app.services.phones import display_phone
from tests.conftest import ROOT
from tests.factories import PASSWORD, Tenant, make_call, make_tenant, unique_mobile
from tests.live import server_environment

ANCHOR_PATH = "/bench-anchor"
LEADS = 300  # the list shows the newest 50
TIMELINE = 40  # notes and calls on the lead page that is timed
WIDTHS: dict[str, Any] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1366, "height": 800},
}
ROW = {"phone": "[data-testid=lead-card]", "desktop": "[data-testid=lead-row]"}
TIMELINE_ITEM = "[data-testid=timeline-item]"
GOAL_COLD, GOAL_IN_APP = 0.5, 0.15  # seconds


# ---- data ---------------------------------------------------------------------------------
def seed() -> tuple[Tenant, int]:
    """A business with LEADS leads; the newest has a timeline of TIMELINE notes and calls."""
    tenant = make_tenant(name="מרפאת השיניים של ד״ר כהן")
    now = utcnow()
    with unit_of_work() as session:
        for n in range(LEADS):
            leads.create_lead(
                session,
                business_id=tenant.id,
                phone=unique_mobile(),
                name=f"ליד מספר {n} Lead {n}",
                email=f"lead{n}@example.com",
                source=(LeadSource.PHONE_AI, LeadSource.WEB_FORM, LeadSource.WHATSAPP)[n % 3],
            )
        lead = leads.create_lead(
            session, business_id=tenant.id, phone=unique_mobile(), name="דנה כהן Dana Cohen"
        )
    assert lead.id is not None
    principal = tenant.principal()
    with unit_of_work() as session:
        for n in range(TIMELINE // 2):
            notes.add_note(
                session, principal=principal, lead_id=lead.id, text=f"שיחה {n}: ביקשה לחזור אליה"
            )
    for n in range(TIMELINE // 2):
        make_call(tenant, lead, started_at=now - timedelta(hours=n), summary=f"סיכום שיחה {n}")
    return tenant, lead.id


def anchor_html(tenant: Tenant) -> bytes:
    """The list's first page as plain HTML: the same 50 rows, no script, no framework."""
    with unit_of_work(read_only=True) as session:
        page = lead_query.fetch_page(
            session,
            principal=tenant.principal(),
            filters=lead_query.parse_filters({}),
            limit=50,
        )
    rows = "".join(
        "<tr data-row><td><a href='{href}'>{name}</a></td><td><bdi dir=ltr>{phone}</bdi></td>"
        "<td>{email}</td><td>{status}</td><td>{when}</td></tr>".format(
            href=f"{ANCHOR_PATH}?again=1",
            name=html.escape(row.name or ""),
            phone=html.escape(display_phone(row.phone_e164)),
            email=html.escape(row.email or ""),
            status=html.escape(row.status_he),
            when=local_datetime(row.created_at, tenant.business.timezone),
        )
        for row in page.rows
    )
    assert len(page.rows) == 50
    return (
        "<!doctype html><html lang=he dir=rtl><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'><title>Leads</title>"
        f"</head><body><table><tbody>{rows}</tbody></table></body></html>"
    ).encode()


# ---- the server -------------------------------------------------------------------------
def build(env: dict[str, str]) -> float:
    """The production frontend for the benchmark's port, in its own web directory."""
    started = time.monotonic()
    subprocess.run(
        [str(ROOT / ".venv/bin/reflex"), "export", "--frontend-only", "--no-zip", "--env", "prod"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def serve(fd: int) -> None:
    """The server's process: the app as production serves it, plus the anchor's route."""
    from starlette.responses import Response

    from crm_app.crm_app import app as reflex_app

    inner = reflex_app()
    anchor = Response(Path(os.environ["BENCH_ANCHOR"]).read_bytes(), media_type="text/html")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == ANCHOR_PATH:
            await anchor(scope, receive, send)
        else:
            await inner(scope, receive, send)

    serve_inherited(app, fd)


# ---- the browser ------------------------------------------------------------------------
def cold(new_context: Callable[[], Any], url: str, selector: str, samples: int) -> list[float]:
    """Seconds from navigation to ``selector`` in a new context each time (the first warms up)."""
    runs = []
    for _ in range(samples + 1):
        context = new_context()
        tab = context.new_page()
        started = time.perf_counter()
        tab.goto(url, wait_until="commit")
        tab.wait_for_selector(selector)
        runs.append(time.perf_counter() - started)
        context.close()
    return runs[1:]


def click(tab: Any, target: str, selector: str, new_document: bool = False) -> float:
    """Seconds from a click on ``target`` to ``selector`` (in the new document, if one loads)."""
    started = time.perf_counter()
    if new_document:
        with tab.expect_navigation(wait_until="commit"):
            tab.click(target)
    else:
        tab.click(target)
    tab.wait_for_selector(selector)
    return time.perf_counter() - started


def measure(url: str, tenant: Tenant, lead_id: int, samples: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    results: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="he-IL")
        page = context.new_page()
        page.goto(f"{url}/login")
        page.fill("#login-email", tenant.agent.email)
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_selector(ROW["desktop"])
        signed_in = context.storage_state()  # the session cookie, nothing cached
        context.close()

        for size, viewport in WIDTHS.items():
            row, timeline, anchor_row = (
                f"{ROW[size]} >> nth=0",
                f"{TIMELINE_ITEM} >> nth=0",
                "[data-row]",
            )

            def new_context(viewport: Any = viewport) -> Any:
                made = browser.new_context(
                    locale="he-IL", viewport=viewport, storage_state=signed_in
                )
                made.set_default_timeout(30_000)
                return made

            results[f"{size}: anchor cold"] = cold(
                new_context, url + ANCHOR_PATH, anchor_row, samples
            )
            results[f"{size}: list cold"] = cold(new_context, f"{url}/leads", row, samples)
            results[f"{size}: lead cold"] = cold(
                new_context, f"{url}/leads/{lead_id}", timeline, samples
            )

            context = new_context()
            tab = context.new_page()
            tab.goto(url + ANCHOR_PATH)
            anchors = [
                click(tab, "[data-row] a >> nth=0", anchor_row, new_document=True)
                for _ in range(samples + 1)
            ]
            tab.goto(f"{url}/leads")
            tab.wait_for_selector(row)
            to_lead = f"{ROW[size]}[data-lead-id='{lead_id}'] a"
            lead_clicks, list_clicks = [], []
            for _ in range(samples + 1):
                lead_clicks.append(click(tab, to_lead, timeline))
                if size == "phone":  # the header's links are in its menu, which opens first
                    tab.click("#header-menu")
                    item = tab.wait_for_selector("#menu-nav-leads")
                    assert item is not None
                    item.wait_for_element_state("stable")  # its opening animation is over
                list_clicks.append(
                    click(tab, "#menu-nav-leads" if size == "phone" else "#nav-leads", row)
                )
            context.close()
            results[f"{size}: anchor click"] = anchors[1:]
            results[f"{size}: list click"] = list_clicks[1:]
            results[f"{size}: lead click"] = lead_clicks[1:]
        browser.close()
    return results


def report(results: dict[str, list[float]]) -> None:
    print("\n== pages in chromium (ms): navigation to the first row / the timeline")
    for size in WIDTHS:
        cold = statistics.median(results[f"{size}: anchor cold"])
        click = statistics.median(results[f"{size}: anchor click"])
        for name, anchor, goal in (
            ("anchor cold", cold, None),
            ("list cold", cold, GOAL_COLD),
            ("lead cold", cold, GOAL_COLD),
            ("anchor click", click, None),
            ("list click", click, GOAL_IN_APP),
            ("lead click", click, GOAL_IN_APP),
        ):
            runs = results[f"{size}: {name}"]
            p50 = statistics.median(runs)
            p95 = statistics.quantiles(runs, n=20)[-1] if len(runs) > 1 else p50
            verdict = "" if goal is None else (" ok" if p50 <= goal else f" over {goal * 1000:.0f}")
            print(
                f"{size:8} {name:13} p50 {p50 * 1000:7.1f}  p95 {p95 * 1000:7.1f}"
                f"  {p50 / anchor:6.2f} x anchor{verdict}"
            )


def run(samples: int) -> None:
    database_url = ensure_database("crm_bench_pages", fresh=True)
    engine = build_engine(database_url)
    use_engine(engine)
    upgrade_to_head(engine)
    tenant, lead_id = seed()
    sock = listening_socket()
    url = f"http://localhost:{sock.getsockname()[1]}"
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp_dir:
        tmp = Path(tmp_dir)
        (tmp / "tmp").mkdir()
        anchor = tmp / "anchor.html"
        anchor.write_bytes(anchor_html(tenant))
        port = url.rsplit(":", 1)[1]
        env = server_environment(
            tmp,
            database_url,
            url,
            REFLEX_API_URL=url,
            REFLEX_BACKEND_PORT=port,
            REFLEX_FRONTEND_PORT=port,
            BENCH_ANCHOR=str(anchor),
            REFLEX_ENV_MODE="prod",
        )
        print(f"production build in {build(env):.0f} s")
        server = start_server(
            "bench.pages",
            # Reflex's own switches (internal, hence the underscores) for a production
            # backend that serves the compiled frontend and does not compile it again.
            {
                **env,
                "__REFLEX_MOUNT_FRONTEND_COMPILED_APP": "true",
                "__REFLEX_SKIP_COMPILE": "true",
            },
            sock.fileno(),
            f"{url}/login/",
            tmp / "server.log",
        )
        try:
            report(measure(url, tenant, lead_id, samples))
        finally:
            server.terminate()
            server.wait(20)
            sock.close()
    engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench pages")
    parser.add_argument("--samples", type=int, default=15)
    args, rest = parser.parse_known_args(argv)
    run(args.samples)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]))
    else:
        main(sys.argv[1:])
