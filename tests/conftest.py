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
    real = dict(os.environ)
    # multiprocessing makes its temp folder once and removes it at exit; made in the
    # session's temp folder (removed first, at unconfigure) its removal would fail.
    multiprocessing.util.get_temp_dir()
    root = Path(tempfile.mkdtemp(prefix="drillbit-tests-"))
    for name, sub in REDIRECTED.items():
        (root / sub).mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(root / sub)
    os.environ["DRILLBIT_DB"] = str(root / "incidents.db")
    tempfile.tempdir = None  # gettempdir() caches; make it read TMPDIR again
    watched = watched_paths(real)
    _isolation.update(real=real, root=root, watched=watched, before=snapshot(watched), changed=[])


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
    real, root = _isolation["real"], _isolation["root"]
    os.environ.clear()
    os.environ.update(real)
    tempfile.tempdir = None
    if not _isolation.get("keep"):  # a failed session keeps them for a look
        shutil.rmtree(root, ignore_errors=True)
    _isolation.clear()


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
