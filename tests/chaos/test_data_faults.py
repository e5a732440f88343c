"""Data faults against real containers: files deleted or corrupted (as `sha256sum` and
`test` in the container say), then put back from the snapshot — from the record
rebuilt from JSON and twice more — with equal checksums and the snapshot deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

import chaos.faults.data  # noqa: F401 - registers the data faults on this branch
from chaos.faults import FAULTS, FaultError
from faultcycle import applied, restored
from chaos.faults.data import data_checksums, matches, snapshot_dir

SEED = ("mkdir -p '/data/sub dir' && head -c 5000 /dev/urandom > /data/a.bin && echo hello > '/data/sub dir/b c.txt'"
        " && echo 1 > /data/one && touch /data/empty && exec sleep 60")


@pytest.fixture
def state(monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "drillbit" / "snapshots"


@pytest.fixture
def seeded(make_container):
    c = make_container(SEED)
    for _ in range(100):  # the seeding runs a moment after the container starts
        if c.exec_run(["test", "-e", "/data/empty"]).exit_code == 0:
            return c
    pytest.fail("the container never seeded /data")


def sha256sum(container, path: str) -> str:
    """What the container itself says of the files, sorted so runs compare."""
    out = container.exec_run(["sh", "-c", 'find "$1" -type f -exec sha256sum {} + | sort', "sh", path]).output
    return out.decode()


def test_snapshots_live_in_the_state_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert snapshot_dir() == tmp_path / "drillbit" / "snapshots"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert snapshot_dir() == Path.home() / ".local" / "state" / "drillbit" / "snapshots"


def test_delete_path_removes_a_folder_and_restore_brings_every_file_back(docker_client, seeded, state):
    before = sha256sum(seeded, "/data")
    expected = data_checksums(seeded, "/data")
    assert len(expected) == 4 and "/data/sub dir/b c.txt" in expected
    restore = applied(docker_client, seeded, "delete-path", path="/data")
    snapshot = Path(restore.data["snapshot"])
    assert snapshot.parent == state and snapshot.stat().st_size > 5000
    assert seeded.exec_run(["test", "-e", "/data"]).exit_code != 0
    assert not matches(seeded, "/data", expected) and data_checksums(seeded, "/data") == {}
    restored(docker_client, restore)
    assert sha256sum(seeded, "/data") == before
    assert matches(seeded, "/data", expected)
    assert not snapshot.exists() and list(state.iterdir()) == []


def test_delete_path_of_one_file(docker_client, seeded, state):
    before = sha256sum(seeded, "/data")
    restore = applied(docker_client, seeded, "delete-path", path="/data/a.bin")
    assert seeded.exec_run(["test", "-e", "/data/a.bin"]).exit_code != 0
    restored(docker_client, restore)
    assert sha256sum(seeded, "/data") == before and list(state.iterdir()) == []


def test_corrupt_file_changes_bytes_not_length_and_restore_undoes_it(docker_client, seeded, state):
    before = sha256sum(seeded, "/data/a.bin")
    restore = applied(docker_client, seeded, "corrupt-file", path="/data/a.bin", bytes=100, offset=10)
    assert sha256sum(seeded, "/data/a.bin") != before
    assert seeded.exec_run(["sh", "-c", "wc -c < /data/a.bin"]).output.decode().strip() == "5000"
    restored(docker_client, restore)
    assert sha256sum(seeded, "/data/a.bin") == before and list(state.iterdir()) == []


def test_a_restore_the_team_made_themselves_is_seen_by_the_probe(docker_client, seeded, state):
    expected = data_checksums(seeded, "/data")
    restore = applied(docker_client, seeded, "corrupt-file", path="/data/sub dir/b c.txt")
    assert not matches(seeded, "/data", expected)
    seeded.exec_run(["sh", "-c", "echo hello > '/data/sub dir/b c.txt'"])
    assert matches(seeded, "/data", expected)
    restored(docker_client, restore)


def test_data_faults_refuse_what_they_cannot_do(docker_client, seeded, state):
    with pytest.raises(FaultError, match="/nowhere does not exist"):
        FAULTS["delete-path"](path="/nowhere").check(docker_client, seeded)
    with pytest.raises(FaultError, match="needs an absolute `path` other than /"):
        FAULTS["delete-path"](path="/").check(docker_client, seeded)
    with pytest.raises(FaultError, match="is not a regular file"):
        FAULTS["corrupt-file"](path="/data").check(docker_client, seeded)
    seeded.stop(timeout=0)
    with pytest.raises(FaultError, match="needs a running container"):
        FAULTS["corrupt-file"](path="/data/a.bin").check(docker_client, seeded)
    assert not state.exists()


def test_restoring_into_a_removed_container_drops_the_snapshot(docker_client, seeded, state):
    restore = applied(docker_client, seeded, "delete-path", path="/data")
    seeded.remove(force=True)
    restored(docker_client, restore)
    assert list(state.iterdir()) == []


def test_a_stopped_container_keeps_its_snapshot_until_it_runs_again(docker_client, make_container, state):
    c = make_container("sleep 60")
    c.exec_run(["sh", "-c", "mkdir /keep && echo precious > /keep/f"])
    restore = applied(docker_client, c, "delete-path", path="/keep")
    c.stop(timeout=0)
    with pytest.raises(FaultError, match="is exited; start it and restore again"):
        FAULTS["delete-path"].restore(docker_client, restore)
    assert Path(restore.data["snapshot"]).exists()
    c.start()
    restored(docker_client, restore)
    assert c.exec_run(["cat", "/keep/f"]).output == b"precious\n" and list(state.iterdir()) == []


def test_the_snapshot_s_checksums_are_those_the_container_computes(docker_client, seeded, state, tmp_path):
    """Checksums read from the get_archive tar (a hard link, a symlink, a nested folder
    among them) equal find + sha256sum inside the container."""
    from chaos.faults.data import archive_checksums

    assert seeded.exec_run(["sh", "-c", "ln /data/one /data/hard && ln -s /data/a.bin /data/soft"]).exit_code == 0
    archive = tmp_path / "data.tar"
    stream, _ = seeded.get_archive("/data")
    archive.write_bytes(b"".join(stream))
    inside = data_checksums(seeded, "/data")
    assert "/data/hard" in inside and "/data/soft" not in inside
    assert archive_checksums(archive, "/data") == inside
    stream, _ = seeded.get_archive("/data/sub dir/b c.txt")
    archive.write_bytes(b"".join(stream))
    assert archive_checksums(archive, "/data/sub dir/b c.txt") == data_checksums(seeded, "/data/sub dir/b c.txt")
