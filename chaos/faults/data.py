"""Data faults: delete a path or corrupt a file in a container, after a snapshot.

Before anything is touched, ``prepare`` copies the path out of the container
(``get_archive``) into drillbit's state folder and records the sha256 of every file
under it; restore puts the archive back and the checksums say whether it worked. The
same checksums are the probe a game day uses to tell whether the team's own restore
brought the data back (RPO and RTO measured, not assumed).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import tarfile
import uuid
from pathlib import Path
from typing import Any, ClassVar

from docker import DockerClient
from docker.errors import APIError, NotFound
from docker.models.containers import Container

from .base import Fault, FaultError, Restore, register


def snapshot_dir() -> Path:
    """Where snapshots live: ``$XDG_STATE_HOME/drillbit/snapshots``, else
    ``~/.local/state/drillbit/snapshots``."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "drillbit" / "snapshots"


def _exec(container: Container, script: str, *args: str) -> tuple[int, str]:
    """Run ``sh -c script`` with ``args`` as $1… (never spliced into the script, so any
    path is safe); the exit code and stdout."""
    done = container.exec_run(["sh", "-c", script, "sh", *args], demux=True)
    out = (done.output[0] or b"").decode(errors="replace") if done.output else ""
    return done.exit_code, out


def data_checksums(container: Container, path: str) -> dict[str, str]:
    """sha256 (hex) of every regular file under ``path`` in the running ``container``
    ({} when the path does not exist). Raises FaultError when they cannot be read."""
    code, out = _exec(container, 'test -e "$1" || exit 3; find "$1" -type f -exec sha256sum {} +', path)
    if code == 3:
        return {}
    if code != 0:
        raise FaultError(f"cannot checksum {path} in {container.name} (exit {code}); it needs find and sha256sum")
    sums = {}
    for line in out.splitlines():
        digest, _, name = line.partition("  ")
        if name:
            sums[name] = digest
    return sums


def matches(container: Container, path: str, expected: dict[str, str]) -> bool:
    """Whether the files under ``path`` are exactly ``expected`` (names and sha256)."""
    return data_checksums(container, path) == expected


def archive_checksums(archive: Path, path: str) -> dict[str, str]:
    """What :func:`data_checksums` says of ``path``, read from its ``get_archive`` tar
    instead of from the container: the sha256 of every regular file (a hard link
    counts as the file it links to), named as ``find`` inside would name it. Taken from
    the snapshot itself, the checksums are exactly of what restore puts back."""
    parent = posixpath.dirname(path) or "/"
    sums: dict[str, str] = {}
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.islnk():
                linked = posixpath.normpath(posixpath.join(parent, member.linkname))
                if linked in sums:
                    sums[posixpath.normpath(posixpath.join(parent, member.name))] = sums[linked]
                continue
            if not member.isreg():
                continue
            digest = hashlib.sha256()
            f = tar.extractfile(member)
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
            sums[posixpath.normpath(posixpath.join(parent, member.name))] = digest.hexdigest()
    return sums


def _is_one_file(archive: Path) -> bool:
    """Whether the snapshot holds one regular file and nothing else."""
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    return len(members) == 1 and members[0].isreg()


def _take_snapshot(container: Container, path: str) -> Path:
    folder = snapshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{container.id[:12]}-{uuid.uuid4().hex[:12]}.tar"
    try:
        stream, _ = container.get_archive(path)
    except NotFound:
        raise FaultError(f"{path} does not exist in {container.name}") from None
    with open(target, "wb") as f:
        for chunk in stream:
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    # The snapshot is what makes the fault reversible: its directory entry must survive a crash too.
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return target


class _SnapshotFault(Fault):
    """A fault on ``path`` undone from a snapshot of it."""

    family: ClassVar[str] = "data"
    #: Commands the container must have, besides sh, find and sha256sum for the checksums.
    needs: ClassVar[tuple[str, ...]] = ()

    @property
    def path(self) -> str:
        path = self.params.get("path")
        if not path or not str(path).startswith("/") or posixpath.normpath(str(path)) == "/":
            raise FaultError(f"{self.kind} needs an absolute `path` other than /, not {path!r}")
        return posixpath.normpath(str(path))

    def check(self, client: DockerClient, container: Container) -> None:
        container.reload()
        if container.status != "running":
            raise FaultError(f"{self.kind} needs a running container: {container.name} is {container.status}")
        missing = [c for c in ("find", "sha256sum", *self.needs) if _exec(container, 'command -v "$1"', c)[0] != 0]
        if missing:
            raise FaultError(f"{self.kind}: {container.name} has no {', '.join(missing)} (checked with `command -v`)")
        if _exec(container, 'test -e "$1"', self.path)[0] != 0:
            raise FaultError(f"{self.kind}: {self.path} does not exist in {container.name}")

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        path = self.path
        # One engine call, no exec: the archive is the snapshot (fsync'd before anything
        # is touched) and its files give the checksums restore is verified against.
        snapshot = _take_snapshot(container, path)
        try:
            checksums = archive_checksums(snapshot, path)
        except (OSError, tarfile.TarError) as exc:
            snapshot.unlink(missing_ok=True)  # nothing was touched yet: no restore will need it
            raise FaultError(f"{self.kind}: cannot read the snapshot of {path} from {container.name}: {exc}") from None
        return {"path": path, "snapshot": str(snapshot), "checksums": checksums,
                "single_file": list(checksums) == [path] and _is_one_file(snapshot)}

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        snapshot = Path(restore.data["snapshot"])
        if not snapshot.exists():
            return  # restored and verified before: the snapshot is deleted only then
        container = _recorded(client, restore)
        if container is None:
            # The container and its data are gone; nothing is left to put the snapshot into.
            snapshot.unlink()
            return
        path = restore.data["path"]
        if not restore.data.get("single_file"):
            # Removed first, so files the fault created (or a half-written corruption) do
            # not survive. A single file needs no exec for that: the engine's extraction
            # replaces whatever stands at the file's path.
            _exec(container, 'rm -rf "$1"', path)
        with open(snapshot, "rb") as f:
            try:
                container.put_archive(posixpath.dirname(path) or "/", f.read())
            except APIError as exc:
                raise FaultError(f"{cls.kind}: could not put {path} back into {restore.name}: {exc}") from None

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        """The files match their checksums; only then is the snapshot deleted (a
        mismatch keeps it, so restoring again stays possible)."""
        container = _recorded(client, restore)
        snapshot = Path(restore.data["snapshot"])
        if container is not None and not matches(container, restore.data["path"], restore.data["checksums"]):
            kept = f" (snapshot kept at {snapshot})" if snapshot.exists() else ""
            raise FaultError(f"{cls.kind}: {restore.data['path']} in {restore.name} differs from its snapshot after "
                             f"restore{kept}")
        snapshot.unlink(missing_ok=True)


def _recorded(client: DockerClient, restore: Restore) -> Container | None:
    """The record's container (None: removed). Raises FaultError when it is not running,
    since its files can then be neither put back nor checked."""
    try:
        container = client.containers.get(restore.container)
    except NotFound:
        return None
    if container.status != "running":
        raise FaultError(f"{restore.kind}: {restore.name} is {container.status}; start it and restore again "
                         f"(the snapshot stays at {restore.data['snapshot']})")
    return container


@register
class DeletePath(_SnapshotFault):
    """Delete ``path`` (a file or a folder and all under it) in the container."""

    kind = "delete-path"
    needs = ("rm",)

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        # The command itself, no shell around it: one process fewer at the fault's time.
        code = container.exec_run(["rm", "-rf", "--", restore.data["path"]]).exit_code
        if code != 0:
            raise FaultError(f"delete-path: rm -rf {restore.data['path']} failed in {container.name} (exit {code})")

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        if _exec(container, 'test -e "$1"', restore.data["path"])[0] == 0:
            raise FaultError(f"delete-path: {restore.data['path']} still exists in {container.name}")


@register
class CorruptFile(_SnapshotFault):
    """Overwrite ``bytes`` bytes (default 64) of the file ``path`` at ``offset``
    (default 0) with random ones, keeping its length where the file is long enough."""

    kind = "corrupt-file"
    needs = ("dd",)

    def check(self, client: DockerClient, container: Container) -> None:
        super().check(client, container)
        if _exec(container, 'test -f "$1"', self.path)[0] != 0:
            raise FaultError(f"corrupt-file: {self.path} in {container.name} is not a regular file")

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        data = super().prepare(client, container)
        data["bytes"] = int(self.params.get("bytes", 64))
        data["offset"] = int(self.params.get("offset", 0))
        return data

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        d = restore.data
        # dd itself, no shell around it (one process fewer); the path is one argument either way.
        code = container.exec_run(["dd", "if=/dev/urandom", f"of={d['path']}", "bs=1", f"count={d['bytes']}",
                                   f"seek={d['offset']}", "conv=notrunc"]).exit_code
        if code != 0:
            raise FaultError(f"corrupt-file: dd into {d['path']} failed in {container.name} (exit {code})")

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        if matches(container, restore.data["path"], restore.data["checksums"]):
            raise FaultError(f"corrupt-file: {restore.data['path']} in {container.name} is unchanged")
