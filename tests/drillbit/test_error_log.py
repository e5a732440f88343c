"""The traceback log of an internal error: private, never through a symlink, rotated."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from drillbit import errorlog

pytestmark = pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")


def _crash(monkeypatch, message: str = "kaput") -> None:
    import scenarios

    def boom(*_a, **_k):
        raise RuntimeError(message)

    monkeypatch.setattr(scenarios, "check_files", boom)


def _log_of(err: str) -> Path:
    return Path(err.split("traceback in ")[1].split(";")[0])


def test_the_log_goes_to_a_private_per_user_folder_and_is_owner_only(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    _crash(monkeypatch)
    code, _, err = cli("validate", "x")
    assert code == 3
    log = _log_of(err)
    assert log.parent == tmp_path / "state" / "drillbit" / "errors"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert "RuntimeError: kaput" in log.read_text()


def test_a_symlink_planted_where_logs_used_to_go_is_left_alone(cli, monkeypatch, tmp_path):
    import tempfile

    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    old_place = Path(tempfile.gettempdir()) / f"drillbit-error-{os.getpid()}.log"
    old_place.symlink_to(victim)
    try:
        _crash(monkeypatch)
        code, _, err = cli("validate", "x")
    finally:
        old_place.unlink()
    assert code == 3
    assert victim.read_text() == "precious\n"
    assert _log_of(err) != old_place


def test_a_planted_symlink_is_never_followed(tmp_path, monkeypatch):
    folder = tmp_path / "errors"
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    # Plant a link under every name the next log could take (this second, this pid).
    monkeypatch.setattr(errorlog.time, "strftime", lambda *_a: "20261201T120000")
    for n in range(100):
        suffix = f"-{n}" if n else ""
        (folder / f"drillbit-error-20261201T120000-{os.getpid()}{suffix}.log").symlink_to(victim)
    assert errorlog.write_error_log("trace", folders=[folder]) is None
    assert victim.read_text() == "precious\n"


def test_a_symlink_in_place_of_the_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    link = tmp_path / "errors"
    link.symlink_to(elsewhere, target_is_directory=True)
    fallback = tmp_path / "fallback"
    path = errorlog.write_error_log("trace", folders=[link, fallback])
    assert path is not None and path.parent == fallback
    assert list(elsewhere.iterdir()) == []


def test_an_open_folder_of_ours_is_closed_before_use(tmp_path):
    folder = tmp_path / "errors"
    folder.mkdir()
    folder.chmod(0o777)
    path = errorlog.write_error_log("trace", folders=[folder])
    assert path is not None
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_folder_of_another_user_is_not_used(tmp_path, monkeypatch):
    folder = tmp_path / "errors"
    folder.mkdir(mode=0o700)
    monkeypatch.setattr(errorlog.os, "getuid", lambda: os.stat(folder).st_uid + 1)
    assert errorlog.write_error_log("trace", folders=[folder]) is None


def test_without_a_safe_folder_the_message_says_so(cli, monkeypatch):
    monkeypatch.setattr(errorlog, "candidate_folders", lambda env=None: [])
    _crash(monkeypatch)
    code, _, err = cli("validate", "x")
    assert code == 3 and err.count("\n") == 1
    assert "internal error: RuntimeError: kaput" in err and "--debug" in err


def test_only_the_newest_logs_are_kept(tmp_path):
    folder = tmp_path / "errors"
    for i in range(errorlog.KEEP + 5):
        path = errorlog.write_error_log(f"trace {i}", folders=[folder])
        os.utime(path, ns=(i * 10**9, i * 10**9))  # distinct ages, oldest first
    unrelated = folder / "notes.txt"
    unrelated.write_text("mine")
    errorlog.write_error_log("last", folders=[folder])
    kept = {p.read_text() for p in folder.glob("drillbit-error-*.log")}
    # 15 written, then one more: the 6 oldest went, the 9 newest and the last stayed.
    assert kept == {f"trace {i}" for i in range(6, 15)} | {"last"}
    assert unrelated.read_text() == "mine"


def test_rotation_removes_a_planted_link_but_not_its_target(tmp_path):
    folder = tmp_path / "errors"
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = folder / "drillbit-error-00000000T000000-1.log"
    link.symlink_to(victim)
    os.utime(link, ns=(0, 0), follow_symlinks=False)
    for _ in range(errorlog.KEEP):
        errorlog.write_error_log("trace", folders=[folder])
    assert not link.is_symlink()
    assert victim.read_text() == "precious\n"


def test_xdg_state_home_must_be_absolute(tmp_path):
    env = {"XDG_STATE_HOME": "relative/state", "HOME": str(tmp_path)}
    folders = errorlog.candidate_folders(env)
    assert folders[0] == tmp_path / ".local" / "state" / "drillbit" / "errors"
    assert all(f.is_absolute() for f in folders)


def test_the_traceback_log_hides_credentials(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    _crash(monkeypatch, "cannot reach mysql://admin:SECRETPW@db.example/log")
    code, _, err = cli("--debug", "validate", "x")
    assert code == 3
    assert "SECRETPW" not in err
    text = _log_of(err).read_text()
    assert "SECRETPW" not in text and "mysql://admin:***@db.example/log" in text
