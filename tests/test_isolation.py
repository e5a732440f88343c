"""Running the tests leaves the user's home untouched: the session works in a folder of
its own from before the first fixture, and a change to the real home fails it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: A test module like the report and drill tests: a module-scoped fixture that records
#: a drill in the default incident log, before any function-scoped fixture could step in.
RECORDS_A_DRILL = '''
import os
from pathlib import Path

import pytest

from drillbit.cli import main


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    with pytest.raises(SystemExit):
        main(["simulate", "--no-compress", "config-push-global-outage", "--seed", "1", "--start", "2026-11-25T12:00:00+00:00",
              "--out", str(tmp_path_factory.mktemp("drill"))])


def test_the_drill_was_recorded_in_the_session_log(drill):
    assert Path(os.environ["DRILLBIT_DB"]).is_file()
'''

#: A test that writes into the real home on purpose, past the redirected variables.
WRITES_INTO = '''
from pathlib import Path


def test_writes_into_the_real_home(isolation):
    target = Path({target})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("a stray write")
'''


#: How the inner session runs: in one process, or on two xdist workers as the suite does.
HOW = {"serial": [], "xdist": ["-n", "2"]}


def inner_session(tmp_path: Path, module: str, *args: str, **env: str) -> tuple[Path, subprocess.CompletedProcess]:
    """Run ``module`` as a pytest session of its own with this suite's conftest.py and a
    fresh folder as its real home (``args`` go on its command line). Returns that home
    and the finished process."""
    home = tmp_path / "real-home"
    home.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    (project / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8")
    (project / "test_inner.py").write_text(module, encoding="utf-8")
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("XDG_", "DRILLBIT_", "PYTEST_")) and k not in ("MPLCONFIGDIR",)}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                             *args, str(project)], cwd=project, env={**base, "HOME": str(home), **env},
                            capture_output=True, text=True, timeout=300)
    return home, result


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_the_session_points_home_temp_and_the_log_into_its_own_folder(isolation):
    from incidents.store import default_path

    root = Path(isolation["root"])
    real_home = Path(isolation["real"].get("HOME") or "/nonexistent")
    assert Path.home() != real_home and Path.home().is_relative_to(root)
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR", "DRILLBIT_DB"):
        assert Path(os.environ[name]).is_relative_to(root), name
    assert Path(tempfile.gettempdir()).is_relative_to(root)  # where internal-error tracebacks go
    assert default_path().is_relative_to(root)
    assert Path(isolation["real"].get("XDG_DATA_HOME") or real_home / ".local" / "share") / "drillbit" \
        in isolation["watched"]


@pytest.mark.parametrize("how", HOW)
def test_a_module_scoped_drill_leaves_the_real_home_untouched(tmp_path, how):
    home, result = inner_session(tmp_path, RECORDS_A_DRILL, *HOW[how])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert files_under(home) == []


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("where", ["home", "own-log"])
def test_a_write_into_the_real_home_fails_the_session(tmp_path, where, how):
    target = tmp_path / "real-home" / ".local" / "share" / "drillbit" / "incidents.db"
    watched, env = target.parent, {}
    if where == "own-log":  # the user's own $DRILLBIT_DB, wherever it is, is theirs too
        target = watched = tmp_path / "real-home" / "logs" / "mine.db"
        env["DRILLBIT_DB"] = str(target)
    # Under xdist a worker writes it, and the controller's check (over every worker's
    # session) fails the run.
    _, result = inner_session(tmp_path, WRITES_INTO.format(target=repr(str(target))), *HOW[how], **env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed" in result.stdout  # the test itself passed: the session check caught it
    assert "the tests wrote into the real home folder" in result.stdout
    assert f"{watched}: appeared" in result.stdout


#: Tests that each note where their worker's session points HOME and the incident log.
NOTES_ITS_FOLDERS = '''
import json
import os
import time
from pathlib import Path

import pytest


@pytest.mark.parametrize("n", range(6))
def test_notes_its_folders(isolation, n):
    time.sleep(0.3)  # long enough for both workers to take some
    notes = Path(os.environ["NOTES"])
    (notes / f"{n}.json").write_text(json.dumps({
        "worker": os.environ.get("PYTEST_XDIST_WORKER"), "home": os.environ["HOME"], "log": os.environ["DRILLBIT_DB"],
        "root": str(isolation["root"]), "real_home": isolation["real"]["HOME"]}))
'''


def test_each_xdist_worker_has_a_home_and_an_incident_log_of_its_own(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    home, result = inner_session(tmp_path, NOTES_ITS_FOLDERS, *HOW["xdist"], NOTES=str(notes))
    assert result.returncode == 0, result.stdout + result.stderr
    seen = [json.loads(p.read_text()) for p in notes.iterdir()]
    by_worker = {note["worker"]: note for note in seen}
    assert len(seen) == 6 and set(by_worker) == {"gw0", "gw1"}
    assert all(note == by_worker[note["worker"]] for note in seen)  # one folder per worker, for all its tests
    a, b = by_worker.values()
    assert a["home"] != b["home"] and a["log"] != b["log"] and a["root"] != b["root"]
    for note in seen:  # each inside its worker's own folder, and that knows the real home
        assert Path(note["home"]).is_relative_to(note["root"]) and Path(note["log"]).is_relative_to(note["root"])
        assert note["real_home"] == str(home)
    assert files_under(home) == []
