"""Where the incident log lives and how it is opened, migrated and written.

One code path for SQLite (the default: a file) and PostgreSQL (by URL). Every write
is one transaction run by :meth:`IncidentLog.write`, which retries the whole unit of
work when another writer holds the database (SQLite: WAL, a busy timeout and
``BEGIN IMMEDIATE`` so writers queue instead of deadlocking; PostgreSQL: serialization
failures and deadlocks). A process killed inside a write leaves nothing of it behind:
the database rolls the open transaction back.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from scenarios.untrusted import redact, redact_url

from .errors import StoreError
from .schema import HEAD

T = TypeVar("T")

ENV_URL = "DRILLBIT_DB"
#: Seconds a SQLite writer waits for the lock before the retry loop takes over.
BUSY_TIMEOUT = 10.0
#: Attempts of one unit of work before giving up on a busy database.
ATTEMPTS = 12
#: Revisions this code knows how to upgrade from (None: an empty database).
KNOWN_REVISIONS = (None, "0001", "0002", "0003", "0004")
_PG_MIGRATION_LOCK = 0x6472696C  # "dril": one migration at a time per database


def default_path() -> Path:
    """``$XDG_DATA_HOME/drillbit/incidents.db`` (``~/.local/share/drillbit/incidents.db``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "drillbit" / "incidents.db"


def normalize_url(url: str, base: Path | None = None) -> str:
    """A SQLAlchemy URL for ``url``: a plain path means a SQLite file; ``postgresql://``
    uses psycopg 3; a relative SQLite path is resolved against ``base`` (default: the
    current folder). Raises StoreError for a URL SQLAlchemy cannot read."""
    url = url.strip()
    if "://" not in url:
        path = Path(url).expanduser()
        if not path.is_absolute():
            path = (base or Path.cwd()) / path
        return f"sqlite:///{path}"
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"expected a database URL such as sqlite:///incidents.db or "
                         f"postgresql://user@host/db, got {redact_url(url)!r}") from exc
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed.render_as_string(hide_password=False)
    if backend == "sqlite":
        db = parsed.database or ""
        if not db or db == ":memory:":
            raise StoreError(f"expected a SQLite file in {redact_url(url)!r}; an in-memory log would vanish with the process")
        path = Path(db).expanduser()
        if not path.is_absolute():
            path = (base or Path.cwd()) / path
        return parsed.set(database=str(path)).render_as_string(hide_password=False)
    raise StoreError(f"expected a sqlite:// or postgresql:// URL, got {backend}:// in {redact_url(url)!r}")


def resolve_url(explicit: str | None = None, *, env: Mapping[str, str] | None = None,
                workspace_root: Path | None = None, workspace_url: str | None = None) -> str:
    """Which log to open: ``explicit`` (``--db``), else ``$DRILLBIT_DB``, else the
    workspace's ``incident_log`` (relative SQLite paths against the workspace folder),
    else :func:`default_path`."""
    env = os.environ if env is None else env
    if explicit:
        return normalize_url(explicit)
    if env.get(ENV_URL):
        return normalize_url(env[ENV_URL])
    if workspace_root is not None and workspace_url:
        return normalize_url(workspace_url, base=workspace_root)
    return normalize_url(str(default_path()))


def _is_busy(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError) and "database is locked" in str(exc.orig or exc).lower():
        return True
    if isinstance(exc, OperationalError) and "database is busy" in str(exc.orig or exc).lower():
        return True
    if isinstance(exc, DBAPIError):
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return code in ("40001", "40P01", "55P03")  # serialization failure, deadlock, lock not available
    return False


class IncidentLog:
    """An open incident log. Use :func:`open_store`; close it (or use ``with``)."""

    def __init__(self, url: str):
        self.url = url
        self.engine: Engine = _engine(url)
        self.dialect = self.engine.dialect.name

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def where(self) -> str:
        """The SQLite file, or the URL without password."""
        return self.engine.url.database if self.dialect == "sqlite" else self.display_url

    def write(self, work: Callable[[Connection], T], *, attempts: int = ATTEMPTS) -> T:
        """Run ``work`` in one write transaction, committed when it returns and rolled
        back if it raises. When the database is busy the whole unit is retried, so
        ``work`` must not have side effects outside the connection. Raises StoreError
        when the database stays busy."""
        return self._unit(work, "BEGIN IMMEDIATE", attempts)

    def read(self, work: Callable[[Connection], T], *, attempts: int = ATTEMPTS) -> T:
        """Run ``work`` in one read transaction (a consistent snapshot). Retried when the
        database is busy, as a write is: a SQLite file another process is creating or
        turning to WAL refuses even readers for a moment."""
        return self._unit(work, "BEGIN", attempts)

    def _unit(self, work: Callable[[Connection], T], begin: str, attempts: int) -> T:
        delay = 0.05
        for attempt in range(1, attempts + 1):
            try:
                with self.engine.connect() as conn:
                    conn.execution_options(drillbit_begin=begin)
                    with conn.begin():
                        return work(conn)
            except (OperationalError, DBAPIError) as exc:
                if not _is_busy(exc) or attempt == attempts:
                    if _is_busy(exc):
                        raise StoreError(f"the incident log at {self.where} stayed busy through {attempts} attempts; "
                                         "another process holds it — try again") from exc
                    raise StoreError(f"the incident log at {self.where} failed: {_reason(exc)}") from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "IncidentLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    # A driver's message may quote the connection string it was given.
    return redact(str(orig).strip().splitlines()[0]) if str(orig).strip() else type(orig).__name__


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"expected a database URL, got {redact_url(url)!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for the incident log {path}: {exc.strerror}") from exc
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):  # noqa: ANN001
            # We issue BEGIN ourselves, so pysqlite must not (it would begin late and
            # deferred, and commit DDL behind our back).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            cur.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode survives a killed process; only power loss may drop the
            # last commits, never corrupt.
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # noqa: ANN001
            # IMMEDIATE takes the write lock up front: two writers queue on the busy
            # timeout instead of both reading and then failing to upgrade their locks.
            conn.exec_driver_sql(conn.get_execution_options().get("drillbit_begin", "BEGIN"))

        return engine
    if parsed.get_backend_name() == "postgresql":
        try:
            return create_engine(url, pool_pre_ping=True)
        except Exception as exc:  # a missing driver, a bad option
            raise StoreError(f"cannot use {parsed.render_as_string(hide_password=True)}: {redact(str(exc))}") from exc
    raise StoreError(f"expected a sqlite:// or postgresql:// URL, got {parsed.get_backend_name()}://")


# -- schema ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Migration:
    """What opening or migrating did: the revision before (None: empty) and after."""

    before: str | None
    after: str
    where: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def message(self) -> str:
        if not self.changed:
            return f"the incident log at {self.where} is up to date (schema {self.after})"
        if self.before is None:
            return f"created the incident log at {self.where} (schema {self.after})"
        return f"upgraded the incident log at {self.where} from schema {self.before} to {self.after}; no data was lost"


def current_revision(conn: Connection) -> str | None:
    """The schema revision of the database (None: no incident log yet). Raises
    StoreError for a database that holds other tables but no drillbit log."""
    insp = inspect(conn)
    if not insp.has_table("alembic_version"):
        if insp.has_table("incidents"):
            raise StoreError("the database has an 'incidents' table but no schema version: it is not a drillbit "
                             "incident log (point --db at another database)")
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if rows else None


def _alembic_config(conn: Connection):  # noqa: ANN202 - alembic is imported lazily (it is slow to import)
    from alembic.config import Config

    cfg = Config(str(Path(__file__).with_name("alembic.ini")))
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.attributes["connection"] = conn
    return cfg


def migrate(store: IncidentLog) -> Migration:
    """Bring the log's schema to :data:`schema.HEAD` in one transaction (one migrating
    process at a time). Raises StoreError for a schema newer than this drillbit."""
    def work(conn: Connection) -> Migration:
        if store.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        before = current_revision(conn)
        _check_known(before, store)
        if before != HEAD:
            from alembic import command

            command.upgrade(_alembic_config(conn), "head")
        return Migration(before, HEAD, store.where)

    return store.write(work)


def _check_known(revision: str | None, store: IncidentLog) -> None:
    if revision not in KNOWN_REVISIONS:
        raise StoreError(f"the incident log at {store.where} has schema {revision}, newer than this drillbit "
                         f"knows (up to {HEAD}); upgrade drillbit to use it")


def open_store(url: str | None = None, *, auto_migrate: bool = True) -> tuple[IncidentLog, str | None]:
    """Open the log at ``url`` (see :func:`resolve_url` for the default) and return it
    with a one-line message when it had to be created or upgraded first (None when it
    was already current). With ``auto_migrate=False`` an outdated log raises StoreError.
    """
    store = IncidentLog(normalize_url(url) if url else resolve_url())
    try:
        revision = store.read(current_revision)
        _check_known(revision, store)
        if revision == HEAD:
            return store, None
        if not auto_migrate:
            raise StoreError(f"the incident log at {store.where} has schema {revision or 'none'}; "
                             f"run `drillbit log migrate` to bring it to {HEAD}")
        done = migrate(store)
        return store, (done.message if done.changed else None)
    except BaseException:
        store.close()
        raise
