"""Fixtures of the incident-log tests: every test that takes ``log_url`` (or ``store``)
runs once on SQLite and once on PostgreSQL. PostgreSQL comes from
``DRILLBIT_TEST_PG_URL`` (``eval "$(bash .ci/services.sh)"`` sets it); without it the
PostgreSQL half is skipped on a laptop and fails under ``CI=true``. Each PostgreSQL
test gets a schema of its own, dropped afterwards."""

from __future__ import annotations

import functools
import os
import uuid

import pytest

from incidents import IncidentLog, normalize_url, open_store

PG_ENV = "DRILLBIT_TEST_PG_URL"


def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql: needs PostgreSQL (DRILLBIT_TEST_PG_URL; .ci/services.sh starts one)")


@functools.lru_cache(maxsize=1)
def _postgres() -> tuple[str | None, str]:
    url = os.environ.get(PG_ENV)
    if not url:
        return None, f"{PG_ENV} is not set; run: eval \"$(bash .ci/services.sh)\""
    try:
        log = IncidentLog(normalize_url(url))
        with log.engine.connect():
            pass
        log.close()
    except Exception as exc:  # noqa: BLE001 - any failure means: no usable PostgreSQL
        return None, f"PostgreSQL at {PG_ENV} is not reachable: {str(exc).splitlines()[0]}"
    return normalize_url(url), ""


def _with_search_path(url: str, schema: str) -> str:
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def log_url(request, tmp_path):
    """A URL of an empty incident log on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'incidents.db'}"
        return
    base, why = _postgres()
    if base is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL for the incident log: {why}")
        pytest.skip(why)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = IncidentLog(base)
    with admin.engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield _with_search_path(base, schema)
    finally:
        with admin.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.fixture
def store(log_url):
    """An open, migrated, empty incident log on each backend."""
    log, _ = open_store(log_url)
    yield log
    log.close()
