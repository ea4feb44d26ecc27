"""Command line: ``python -m crm_app <command>`` (settings from the environment).

Passwords are read from stdin (one line), never from arguments, so they stay
out of shell history and process lists. Without ``DATABASE_URL`` a command
uses the embedded PostgreSQL, starting it for its own run if nothing else
holds it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from crm_app import launch
from crm_app.db import get_engine, unit_of_work
from crm_app.migrate import upgrade_to_head
from crm_app.models import Role
from crm_app.services import accounts, auth, file_check, seed
from crm_app.services.errors import DomainError
from crm_app.settings import LaunchSettings, SettingsError, configure

Handler = Callable[[argparse.Namespace], int]


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise DomainError("no password on stdin (send one line)")
    return password


def cmd_migrate(_: argparse.Namespace) -> int:
    """Upgrade the database schema to head."""
    upgrade_to_head(get_engine())
    _out("database schema at head")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    """Seed demo data into an empty database (needs DEMO_MODE=1)."""
    upgrade_to_head(get_engine())
    with unit_of_work() as session:
        if not seed.database_is_empty(session):
            _out("database is not empty: demo data not added")
            return 0 if args.if_empty else 1
        seed.seed_demo(session)
    for login in seed.demo_logins():
        _out(f"demo login ({login.business}): {login.email} / {login.password}")
    return 0


def cmd_create_owner(args: argparse.Namespace) -> int:
    """Create a business and its owner; print the business id."""
    password = _read_password()
    upgrade_to_head(get_engine())
    with unit_of_work() as session:
        business = accounts.create_business(
            session, name=args.business, phone=args.phone, locale=args.locale
        )
        assert business.id is not None
        accounts.add_user(
            session,
            business_id=business.id,
            email=args.email,
            password=password,
            role=Role.OWNER,
            locale=args.locale,
        )
    _out(str(business.id))
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    """Add a user to the business of an owner or admin."""
    password = _read_password()
    with unit_of_work() as session:
        user = accounts.create_user_by(
            session,
            manager_email=args.email,
            email=args.new_email,
            password=password,
            role=Role(args.role),
        )
    _out(f"created {user.role} {user.email}")
    return 0


def cmd_create_api_token(args: argparse.Namespace) -> int:
    """Create an API token; the token alone is printed on the last line."""
    with unit_of_work() as session:
        user = accounts.find_user(session, email=args.email)
        token = auth.create_api_token(session, user=user, name=args.name)
    _out(f"API token for {user.email} (shown once, stored hashed):")
    _out(token)
    return 0


def cmd_revoke_api_token(args: argparse.Namespace) -> int:
    """Revoke an API token by the prefix the tokens page shows."""
    from crm_app.services import api_tokens

    with unit_of_work() as session:
        token = api_tokens.revoke_by_prefix(session, prefix=args.prefix)
        _out(f"revoked {token.prefix} ({token.name or 'unnamed'})")
    return 0


def cmd_files(args: argparse.Namespace) -> int:
    """Report orphan files and dangling references; ``--clean`` repairs them."""
    report = file_check.check(min_age=args.min_age, business_id=args.business)
    _out(f"{report.files} stored files, {report.references} references")
    _out(f"{len(report.orphans)} orphan files (no reference)")
    for key in report.orphans:
        _out(f"  orphan {key}")
    _out(f"{len(report.dangling)} dangling references (file missing)")
    for item in report.dangling:
        _out(f"  dangling note {item.note_id} attachment {item.attachment_id} ({item.key})")
    if args.clean:
        file_check.clean(report)
        _out("cleaned")
    return 0 if args.clean or not (report.orphans or report.dangling) else 3


def cmd_simulate_call(args: argparse.Namespace) -> int:
    """A whole call through the real bridge with the bundled fakes; it lands in the CRM."""
    import json

    from crm_app import simulate  # a composition root of its own: the fakes stay out of the app
    from crm_app.services import agent

    draft = None
    if args.draft:  # settings not saved yet, as JSON (the voice agent page's test call)
        text = sys.stdin.read() if args.draft == "-" else Path(args.draft).read_text()
        draft = agent.parse(json.loads(text))
    if args.lines:  # one JSON object a line, for the voice agent page's test call
        from dataclasses import asdict

        def heard(call_id: int, line: dict[str, object]) -> None:
            _out(json.dumps({"call_id": call_id, "line": line}, ensure_ascii=False))
            sys.stdout.flush()

        result = simulate.run(args.business_phone, args.from_number, args.audio, heard, draft)
        _out(json.dumps({"done": asdict(result)}))
        return 0
    result = simulate.run(args.business_phone, args.from_number, args.audio, draft=draft)
    _out(f"call {result.call_sid} ended ({result.end_reason}) with {result.utterances} utterances")
    _out(f"post-call pipeline: {result.pipeline or 'not run'}")
    if result.lead_id is not None:
        _out(f"open it on its lead: /leads/{result.lead_id}")
    return 0


def cmd_simulate_text(args: argparse.Namespace) -> int:
    """A customer's text through the real, signed webhook; prints the answer they would get."""
    from crm_app import simulate_text

    answer = simulate_text.run(args.business_phone, args.from_number, args.body)
    _out(answer or "(no answer: the number is no customer's)")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run background jobs until interrupted (``make run`` runs one; more add capacity)."""
    import asyncio
    import faulthandler
    import logging
    import signal

    from crm_app.jobs import worker
    from crm_app.settings import get_settings

    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(message)s")
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` prints every thread's stack
    asyncio.run(worker.run(settings, concurrency=args.concurrency))
    return 0


def cmd_serve(_: argparse.Namespace) -> int:
    """What ``make run`` runs: database, migrations, demo, a job worker and the server."""
    return launch.serve(LaunchSettings())


def cmd_bridge(args: argparse.Namespace) -> int:
    """Serve the voice bridge alone (to scale calls out), with the post-call pipeline wired."""
    import uvicorn

    from crm_app.bridge_server import standalone

    uvicorn.run(
        standalone(),
        host=args.host,
        port=args.port,
        ws_max_size=64 * 1024,  # Twilio's frames are under 1 KiB
        timeout_graceful_shutdown=120,
        log_level="info",
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    parser = argparse.ArgumentParser(prog="python -m crm_app", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database to the newest schema").set_defaults(
        func=cmd_migrate
    )
    p = sub.add_parser("seed-demo", help="seed demo data (DEMO_MODE=1)")
    p.add_argument("--if-empty", action="store_true", help="succeed quietly when data exists")
    p.set_defaults(func=cmd_seed_demo)
    sub.add_parser("serve", help="what make run runs").set_defaults(func=cmd_serve, own_db=True)
    p = sub.add_parser("create-owner", help="create a business and its owner (password on stdin)")
    p.add_argument("--business", required=True)
    p.add_argument("--phone", required=True, help="the business line in E.164")
    p.add_argument("--email", required=True)
    p.add_argument("--locale", choices=accounts.LOCALES, default="he")
    p.set_defaults(func=cmd_create_owner)
    p = sub.add_parser("create-user", help="add a user (password on stdin)")
    p.add_argument("--email", required=True, help="an owner or admin of the business")
    p.add_argument("--new-email", required=True)
    p.add_argument("--role", choices=[Role.ADMIN.value, Role.AGENT.value], required=True)
    p.set_defaults(func=cmd_create_user)
    p = sub.add_parser("create-api-token", help="create an API token for a user")
    p.add_argument("--email", required=True)
    p.add_argument("--name", default="")
    p.set_defaults(func=cmd_create_api_token)
    p = sub.add_parser("revoke-api-token", help="revoke an API token by its prefix")
    p.add_argument("--prefix", required=True, help="as the tokens page shows it (crm_xxxxxx)")
    p.set_defaults(func=cmd_revoke_api_token)
    p = sub.add_parser("simulate-call", help="a whole call through the bridge with the fakes")
    p.add_argument("--business-phone", help="the business line (E.164) to call")
    p.add_argument(
        "--from",
        dest="from_number",
        help="the caller (E.164; default: one of the business's country)",
    )
    p.add_argument("--audio", type=Path, help="8 kHz mu-law caller audio (default: a bundled clip)")
    p.add_argument(
        "--lines", action="store_true", help="print each line as it is said, as JSON (one a line)"
    )
    p.add_argument(
        "--draft",
        help="agent settings to answer with instead of the saved ones (JSON file, - stdin)",
    )
    p.set_defaults(func=cmd_simulate_call, demo_default=True)
    p = sub.add_parser("simulate-text", help="a customer's text (1 confirms, 2 cancels)")
    p.add_argument("--business-phone", help="the business line (E.164) texted")
    p.add_argument("--from", dest="from_number", required=True, help="the customer (E.164)")
    p.add_argument("--body", default="1", help="what they text (default 1)")
    p.set_defaults(func=cmd_simulate_text, demo_default=True)
    p = sub.add_parser("worker", help="run background jobs (Postgres)")
    p.add_argument("--concurrency", type=int, help="jobs at once (default JOBS_CONCURRENCY)")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("bridge", help="serve the voice bridge alone (/twilio)")
    p.add_argument("--host", default="0.0.0.0")  # noqa: S104  (a server listens on all interfaces)
    p.add_argument("--port", type=int, default=8080)
    p.set_defaults(func=cmd_bridge)
    p = sub.add_parser("files", help="report (or --clean) orphan files and dangling references")
    p.add_argument("--clean", action="store_true", help="delete orphans, drop dangling references")
    p.add_argument(
        "--min-age",
        type=float,
        default=file_check.GRACE_SECONDS,
        help="ignore files younger than this many seconds (uploads in flight)",
    )
    p.add_argument("--business", type=int, help="look for dangling references in one business")
    p.set_defaults(func=cmd_files)
    return parser


@contextlib.contextmanager
def _database_for(args: argparse.Namespace) -> Iterator[None]:
    """Give the command its database: ``DATABASE_URL``, or the embedded server, held.

    ``simulate-call`` (``make call``) decides on demo mode as ``make run`` does,
    so that it works on the demo that ``make run`` seeded.
    """
    if getattr(args, "own_db", False):
        yield
        return
    settings = LaunchSettings()
    with launch.database(settings) as url:
        if getattr(args, "demo_default", False):
            launch.prepare(settings, url)
        elif not settings.database_url:
            configure(database_url=url)
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; domain errors become a one-line message and exit code 1."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.func
    try:
        with _database_for(args):
            return handler(args)
    except (DomainError, SettingsError, seed.DemoModeRequired) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
