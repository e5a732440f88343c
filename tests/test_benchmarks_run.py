"""The benchmark scripts still run (at a toy size): they print figures, and a script
that no longer starts would only be noticed when someone needs its numbers."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("script, args", [
    ("simulate.py", ["--runs", "40", "--compare-runs", "40"]),
    ("reports.py", ["--runs", "30"]),
    ("incident_log.py", ["--incidents", "30000"]),  # enough for every planted pattern to show
    ("startup.py", ["--repeat", "1"]),
])
def test_benchmark_script_runs_at_a_small_size(script, args, tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True,
                            text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()


@pytest.mark.docker
def test_the_chaos_benchmark_runs_at_a_small_size(tmp_path):
    """One round of two kinds (one through the namespace, one through the engine) and
    one probe interval; it needs the engine the chaos tests use."""
    import os

    from chaos.engine import connect
    from chaos.errors import EngineError

    try:
        connect()
    except EngineError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs a Docker engine for the chaos benchmark: {exc}")
        pytest.skip(str(exc))
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "chaos.py"), "--repeat", "1",
                             "--kinds", "pause,packet-loss", "--intervals", "0.5", "--window", "2"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert any(line.startswith("pause ") for line in lines) and any(line.startswith("packet-loss ") for line in lines)
    assert any(line.strip().startswith("500ms") for line in lines)
