"""Shared fixtures (the repository root, the shipped example files, the command run
in-process) and the isolation of the whole session from the user's own files.

Isolation happens in ``pytest_configure``, before any test module is imported and
before any fixture of any scope runs: HOME, the XDG folders, matplotlib's config
folder, ``$DRILLBIT_DB`` and the temporary folder (where internal-error tracebacks
go) all point into one fresh folder. A module-scoped fixture that records a drill
therefore lands there too, not in ``~/.local/share/drillbit/incidents.db``.
At the end of the session the drillbit paths of the real home (and the user's own
``$DRILLBIT_DB`` file) are compared with a snapshot taken at the start; any change
fails the session. tests/test_isolation.py proves that check can fail.

Under pytest-xdist (``addopts`` runs the suite on several workers) every worker runs
``pytest_configure`` too, in an environment it inherits from the controller, already
redirected. The controller hands each worker the real environment, and each worker
makes a folder of its own inside the controller's: workers never share a home or an
incident log, and the controller's check, which spans every worker's session, is the
one that fails the run. Tests that use an outside service run one after another on one
worker per service (``pytest_collection_modifyitems`` below).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import multiprocessing.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Variables the session points into its own folder (name -> path under that folder).
REDIRECTED = {
    "HOME": "home",
    "XDG_DATA_HOME": "home/.local/share",
    "XDG_CONFIG_HOME": "home/.config",
    "XDG_CACHE_HOME": "home/.cache",
    "XDG_STATE_HOME": "home/.local/state",
    "MPLCONFIGDIR": "home/.config/matplotlib",
    "TMPDIR": "tmp",
}


def watched_paths(env: dict[str, str]) -> list[Path]:
    """Where drillbit (or a library the tests load) would write in the home that
    ``env`` describes: the incident log's folder, config and cache folders, the demo's
    output, matplotlib's caches, and a SQLite ``$DRILLBIT_DB`` the user set."""
    home = Path(env.get("HOME") or Path.home())
    data = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    cache = Path(env.get("XDG_CACHE_HOME") or home / ".cache")
    paths = [data / "drillbit", config / "drillbit", cache / "drillbit", home / "drillbit-demo",
             Path(env.get("MPLCONFIGDIR") or config / "matplotlib"), cache / "matplotlib"]
    db = env.get("DRILLBIT_DB", "")
    if db.startswith("sqlite:///"):
        db = db[len("sqlite:///"):]
    if db and "://" not in db:
        paths.append(Path(db).expanduser())
    return paths


def snapshot(paths: list[Path]) -> dict[str, object]:
    """What is at each path: absent, or every file below it with its size and mtime."""
    out: dict[str, object] = {}
    for p in paths:
        if not p.exists():
            out[str(p)] = None
        elif p.is_file():
            st = p.stat()
            out[str(p)] = (st.st_size, st.st_mtime_ns)
        else:
            out[str(p)] = sorted((str(f.relative_to(p)), f.stat().st_size, f.stat().st_mtime_ns)
                                 for f in p.rglob("*") if f.is_file())
    return out


def changed_paths(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """The paths whose snapshot differs, with what happened to each."""
    out = []
    for path, was in before.items():
        now = after.get(path)
        if was == now:
            continue
        out.append(f"{path}: {'appeared' if was is None else 'removed' if now is None else 'changed'}")
    return out


_isolation: dict[str, object] = {}


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    # An xdist worker's environment is the controller's, already pointed into the
    # controller's folder: the real one comes from the controller (pytest_configure_node).
    started = dict(os.environ)
    real = dict(workerinput["drillbit_real_environ"]) if workerinput else started
    # multiprocessing makes its temp folder once and removes it at exit; made in the
    # session's temp folder (removed first, at unconfigure) its removal would fail.
    multiprocessing.util.get_temp_dir()
    if workerinput:  # inside the controller's folder: a failed run keeps, or removes, all of it
        root = Path(tempfile.mkdtemp(prefix=f"{workerinput['workerid']}-", dir=workerinput["drillbit_session_root"]))
    else:
        root = Path(tempfile.mkdtemp(prefix="drillbit-tests-"))
    for name, sub in REDIRECTED.items():
        (root / sub).mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(root / sub)
    os.environ["DRILLBIT_DB"] = str(root / "incidents.db")
    tempfile.tempdir = None  # gettempdir() caches; make it read TMPDIR again
    watched = watched_paths(real)
    _isolation.update(real=real, started=started, root=root, watched=watched, before=snapshot(watched), changed=[])


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent with -p no:xdist
def pytest_configure_node(node) -> None:
    """Give a worker the real environment this session started from, and the session's
    folder to make its own in."""
    node.workerinput["drillbit_real_environ"] = _isolation["real"]
    node.workerinput["drillbit_session_root"] = str(_isolation["root"])


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not _isolation:
        return
    changed = changed_paths(_isolation["before"], snapshot(_isolation["watched"]))
    _isolation["changed"] = changed
    if changed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    _isolation["keep"] = session.exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)


def pytest_terminal_summary(terminalreporter) -> None:
    changed = _isolation.get("changed")
    if changed:
        terminalreporter.section("the tests wrote into the real home folder", sep="!", red=True, bold=True)
        for line in changed:
            terminalreporter.write_line(line, red=True)
    if _isolation.get("keep"):
        terminalreporter.write_line(f"the session's files (home, temp, incident log) are kept in {_isolation['root']}")


def pytest_unconfigure(config: pytest.Config) -> None:
    if not _isolation:
        return
    started, root = _isolation["started"], _isolation["root"]
    os.environ.clear()
    os.environ.update(started)
    tempfile.tempdir = None
    if not _isolation.get("keep"):  # a failed session keeps them for a look
        shutil.rmtree(root, ignore_errors=True)
    _isolation.clear()


#: Tests that use an outside service of the machine, in the xdist group of that service
#: (``--dist loadgroup``, which addopts sets): the tests of one group run one after
#: another on one worker, beside the rest of the suite on the others. Docker is why:
#: its tests use fixed container, network and stack names, the example stack's host
#: port 18080, and label filters that see every container of the engine, and several
#: measure latency or bandwidth. The others share nothing between their tests (each
#: PostgreSQL test works in a schema of its own), but one at a time they keep their
#: module's browser or language server, and their timeouts, to one worker. The first
#: that applies is a test's only group: two would make a group of their own.
SERVICE_GROUPS = ("docker", "postgresql", "browser", "language_server")
#: A test that takes one of these uses the Docker engine, marked or not.
DOCKER_FIXTURES = {"docker_client", "image", "make_container"}


def service_group(item: pytest.Item) -> str | None:
    """The xdist group of a test that uses an outside service (its marker), else None."""
    if not DOCKER_FIXTURES.isdisjoint(item.fixturenames):
        return "docker"
    return next((name for name in SERVICE_GROUPS if item.get_closest_marker(name)), None)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        group = service_group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture
def cli(capsys):
    """Run the drillbit command in-process: ``cli("validate", path)`` -> (exit code, stdout, stderr)."""
    from drillbit.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as info:
            main(list(args))
        captured = capsys.readouterr()
        return info.value.code, captured.out, captured.err

    return run


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def example_team_path() -> Path:
    return ROOT / "examples" / "team.yaml"


@pytest.fixture(scope="session")
def isolation() -> dict[str, object]:
    """The session's own folder (``root``), the real environment (``real``) and the
    real paths the end-of-session check watches (``watched``)."""
    return _isolation
