"""The README's test command runs the suite on several xdist workers, and the tests of
each outside service (Docker above all: fixed names, port 18080, label filters that see
every container) still run one after another on one worker: tests/conftest.py puts
them in one xdist group per service, and ``--dist loadgroup`` keeps a group together.

This is proved in a session of its own, with this suite's conftest.py and pytest
settings: pytest-xdist 3.8 drops the groups without a word on pytest 9.2
(pytest-dev/pytest-xdist#1386), and then this test fails rather than the Docker tests
colliding now and then."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]

#: Tests that note which worker ran them, and when: three for each service marker,
#: three that use the Docker engine through a fixture alone, and nine of no service.
NOTES_WHO_RAN_IT = '''
import json
import os
import time
from pathlib import Path

import pytest


@pytest.fixture
def docker_client():
    return None


def note(kind, n):
    started = time.monotonic()
    time.sleep(0.2)
    Path(os.environ["NOTES"], f"{kind}-{n}.json").write_text(json.dumps(
        {"kind": kind, "worker": os.environ["PYTEST_XDIST_WORKER"], "from": started, "to": time.monotonic()}))


@pytest.mark.parametrize("n", range(3))
@pytest.mark.parametrize("kind", [pytest.param(kind, marks=getattr(pytest.mark, kind))
                                  for kind in ("docker", "postgresql", "browser", "language_server")])
def test_of_a_service(kind, n):
    note(kind, n)


@pytest.mark.parametrize("n", range(3))
def test_of_the_engine_through_a_fixture(docker_client, n):
    note("docker-fixture", n)


@pytest.mark.parametrize("n", range(9))
def test_of_no_service(n):
    note("none", n)
'''


def test_the_readme_command_runs_in_parallel_and_each_service_on_one_worker_at_a_time(tmp_path):
    addopts = SETTINGS["addopts"].split()
    assert "-n" in addopts and addopts[addopts.index("--dist") + 1] == "loadgroup"
    project, notes = tmp_path / "project", tmp_path / "notes"
    project.mkdir()
    notes.mkdir()
    (project / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8")
    (project / "pytest.ini").write_text("[pytest]\naddopts = " + SETTINGS["addopts"] + "\nmarkers =\n"
                                        + "".join(f"    {m}\n" for m in SETTINGS["markers"]), encoding="utf-8")
    (project / "test_inner.py").write_text(NOTES_WHO_RAN_IT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DRILLBIT_"))}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)],
                            cwd=project, env={**env, "NOTES": str(notes)}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    ran = [json.loads(p.read_text()) for p in notes.iterdir()]
    assert len(ran) == 4 * 3 + 3 + 9
    workers = {kind: {r["worker"] for r in ran if r["kind"] == kind}
               for kind in ("docker", "postgresql", "browser", "language_server", "none")}
    assert len({r["worker"] for r in ran}) > 1  # the command spreads the suite over workers
    assert len(workers["none"]) > 1  # and tests of no service with it
    docker = [r for r in ran if r["kind"].startswith("docker")]
    assert len({r["worker"] for r in docker}) == 1, docker  # marked or through the fixture: one group
    for kind in ("postgresql", "browser", "language_server"):
        assert len(workers[kind]) == 1, (kind, workers[kind])
    for kind in ("docker", "postgresql", "browser", "language_server"):
        one = sorted((r for r in ran if r["kind"].startswith(kind)), key=lambda r: r["from"])
        assert all(a["to"] <= b["from"] for a, b in zip(one, one[1:])), f"{kind} tests overlapped: {one}"
