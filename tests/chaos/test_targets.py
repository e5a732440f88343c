"""Targets resolved against a real engine: names, patterns, labels and Compose labels
matched on running containers; the opt-in label enforced; drillbit's own container
never chosen; counts drawn by a seeded generator; the blast radius enforced."""

from __future__ import annotations

import random
import uuid

import numpy as np
import pytest

from chaos import targets as targets_mod
from chaos.targets import TargetError, describe, own_container_ids, plan_blast_radius, resolve
from scenarios.live import LiveTarget

pytestmark = pytest.mark.docker

SLEEP = "sleep 600"


@pytest.fixture
def run_id() -> str:
    # Other tests (and other sessions) share the engine: every selector here is narrowed
    # by a label only this test's containers carry.
    return uuid.uuid4().hex[:8]


def _names(containers) -> list[str]:
    return [c.name for c in containers]


def _shop(make_container, run_id: str, n: int = 4):
    """A fake Compose project: n API replicas and a database, by Compose's labels."""
    made = []
    for i in range(1, n + 1):
        made.append(make_container(SLEEP, name=f"shop-api-{run_id}-{i}", labels={
            "drillbit.chaos": "allow", "run": run_id, "com.docker.compose.project": f"shop{run_id}",
            "com.docker.compose.service": "api"}))
    made.append(make_container(SLEEP, name=f"shop-db-{run_id}", labels={
        "drillbit.chaos": "allow", "run": run_id, "com.docker.compose.project": f"shop{run_id}",
        "com.docker.compose.service": "db"}))
    return made


def test_names_patterns_labels_and_compose_labels_match_what_the_engine_runs(make_container, docker_client, run_id):
    made = _shop(make_container, run_id)
    api = sorted(c.name for c in made[:4])
    assert _names(resolve(LiveTarget(patterns=[f"shop-api-{run_id}-*"]), rng=None)) == api
    assert _names(resolve(LiveTarget(names=[f"shop-db-{run_id}", f"shop-api-{run_id}-2"]), rng=None)) == \
        sorted([f"shop-api-{run_id}-2", f"shop-db-{run_id}"])
    assert _names(resolve(LiveTarget(project=f"shop{run_id}", service="api"), rng=None)) == api
    assert _names(resolve(LiveTarget(project=f"shop{run_id}"), rng=None)) == sorted(c.name for c in made)
    # Names and labels together: both must hold.
    assert _names(resolve(LiveTarget(patterns=["shop-*"], labels={"run": run_id, "com.docker.compose.service": "db"}),
                          rng=None)) == [f"shop-db-{run_id}"]
    # What the engine says about each: running, and carrying the labels matched on.
    for c in resolve(LiveTarget(project=f"shop{run_id}", service="api"), rng=None):
        c.reload()
        assert c.status == "running" and c.labels["com.docker.compose.service"] == "api"


def test_a_stopped_container_is_not_a_target(make_container, docker_client, run_id):
    a, b = (make_container(SLEEP, name=f"t-{run_id}-{i}", labels={"drillbit.chaos": "allow", "run": run_id}) for i in (1, 2))
    b.stop(timeout=0)
    assert _names(resolve(LiveTarget(labels={"run": run_id}), rng=None)) == [a.name]


def test_a_container_without_the_opt_in_label_is_refused_by_name_unless_allowed(make_container, run_id):
    ok = make_container(SLEEP, name=f"in-{run_id}", labels={"drillbit.chaos": "allow", "run": run_id})
    bare = make_container(SLEEP, name=f"out-{run_id}", labels={"run": run_id})
    with pytest.raises(TargetError) as caught:
        resolve(LiveTarget(labels={"run": run_id}), rng=None, name="api")
    message = str(caught.value)
    assert f"out-{run_id}" in message and f"in-{run_id}" not in message
    assert "drillbit.chaos=allow" in message and "target 'api'" in message
    assert _names(resolve(LiveTarget(labels={"run": run_id}), rng=None, allow_unlabelled=True)) == sorted([ok.name, bare.name])


def test_count_and_percent_draw_the_same_containers_with_the_same_seed(make_container, run_id):
    _shop(make_container, run_id, n=6)
    by_count = LiveTarget(project=f"shop{run_id}", service="api", count=3)
    first = _names(resolve(by_count, rng=random.Random(7)))
    assert len(first) == len(set(first)) == 3
    assert _names(resolve(by_count, rng=random.Random(7))) == first
    assert _names(resolve(by_count, rng=np.random.default_rng(7))) == _names(resolve(by_count, rng=np.random.default_rng(7)))
    # Different seeds reach different draws (20 seeds over C(6,3) = 20 choices).
    assert len({tuple(_names(resolve(by_count, rng=random.Random(s)))) for s in range(20)}) > 1
    # A share rounds up: 50% of 6 is 3, 10% of 6 is still one container.
    assert len(resolve(LiveTarget(project=f"shop{run_id}", service="api", percent=50), rng=random.Random(1))) == 3
    assert len(resolve(LiveTarget(project=f"shop{run_id}", service="api", percent=10), rng=random.Random(1))) == 1
    assert len(resolve(LiveTarget(project=f"shop{run_id}", service="api", percent=100), rng=random.Random(1))) == 6
    one = resolve(LiveTarget(project=f"shop{run_id}", service="api", select="one"), rng=None)
    assert _names(one) == [f"shop-api-{run_id}-1"]
    assert len(resolve(LiveTarget(project=f"shop{run_id}", service="api", select="random"), rng=random.Random(3))) == 1


def test_a_count_larger_than_the_matches_is_refused(make_container, run_id):
    _shop(make_container, run_id, n=2)
    with pytest.raises(TargetError, match="asks for 5 containers, but only 2 match"):
        resolve(LiveTarget(project=f"shop{run_id}", service="api", count=5), rng=random.Random(0))


def test_the_blast_radius_counts_distinct_containers_and_refuses_beyond_it(make_container, run_id):
    _shop(make_container, run_id, n=4)
    api = resolve(LiveTarget(project=f"shop{run_id}", service="api"), rng=None)
    db = resolve(LiveTarget(project=f"shop{run_id}", service="db"), rng=None)
    everything = resolve(LiveTarget(project=f"shop{run_id}"), rng=None)
    # The same containers through two targets count once.
    assert len(plan_blast_radius({"api": api, "all": everything}, 5)) == 5
    with pytest.raises(TargetError) as caught:
        plan_blast_radius({"api": api, "db": db}, 4)
    assert "would touch 5 containers, more than max_blast_radius 4" in str(caught.value)
    assert "api (4), db (1)" in str(caught.value)


def test_no_match_names_what_was_looked_for_and_lists_running_containers(make_container, run_id):
    running = make_container(SLEEP, name=f"here-{run_id}", labels={"drillbit.chaos": "allow", "run": run_id})
    with pytest.raises(TargetError) as caught:
        resolve(LiveTarget(patterns=[f"nothing-{run_id}-*"], labels={"run": run_id}), rng=None, name="ghost")
    message = str(caught.value)
    assert f"target 'ghost' matched no running container" in message
    assert f"patterns nothing-{run_id}-*" in message and f"labels run={run_id}" in message
    listed = message.split("running: ", 1)[1]
    assert len(listed.split(" and ")[0].split(", ")) <= 10
    # The engine's own list, so this cannot pass by drillbit echoing itself.
    engine_names = {c.name for c in running.client.containers.list()}
    assert all(n in engine_names for n in listed.split(" and ")[0].split(", "))


def test_drillbit_never_targets_its_own_container(make_container, run_id, monkeypatch):
    me = make_container(SLEEP, name=f"me-{run_id}", labels={"drillbit.chaos": "allow", "run": run_id})
    other = make_container(SLEEP, name=f"other-{run_id}", labels={"drillbit.chaos": "allow", "run": run_id})
    # As if drillbit ran inside `me`: Docker sets a container's hostname to its short id.
    monkeypatch.setattr(targets_mod.socket, "gethostname", lambda: me.id[:12])
    assert _names(resolve(LiveTarget(labels={"run": run_id}), rng=None)) == [other.name]
    with pytest.raises(TargetError, match="drillbit's own container"):
        resolve(LiveTarget(names=[me.name]), rng=None)
    assert _names(resolve(LiveTarget(names=[me.name]), rng=None, exclude_self=False)) == [me.name]


def test_own_container_ids_read_cgroup_and_mountinfo(tmp_path):
    cid = "ab" * 32
    (tmp_path / "cgroup").write_text(f"12:memory:/docker/{cid}\n0::/\n")
    (tmp_path / "mountinfo").write_text("1 2 0:1 / / rw\n")
    assert own_container_ids(tmp_path / "cgroup", tmp_path / "mountinfo", hostname="laptop") == {cid}
    (tmp_path / "cgroup").write_text("0::/\n")
    (tmp_path / "mountinfo").write_text(f"600 590 8:1 /var/lib/docker/containers/{cid}/hostname /etc/hostname rw\n")
    assert own_container_ids(tmp_path / "cgroup", tmp_path / "mountinfo", hostname="laptop") == {cid}
    assert own_container_ids(tmp_path / "none", tmp_path / "none", hostname="0123456789ab") == {"0123456789ab"}


def test_describe_shows_what_a_dry_run_prints(make_container, run_id, image):
    _shop(make_container, run_id, n=1)
    target = LiveTarget(project=f"shop{run_id}", service="api")
    (row,) = describe(resolve(target, rng=None), target)
    assert row.name == f"shop-api-{run_id}-1" and row.image == image and len(row.id) == 12
    assert row.matched == {"com.docker.compose.project": f"shop{run_id}", "com.docker.compose.service": "api",
                           "drillbit.chaos": "allow"}
    assert str(row).startswith(f"shop-api-{run_id}-1 {row.id} {image} [")


def test_a_live_section_resolves_with_its_own_opt_in_setting_and_blast_radius(make_container, run_id):
    from chaos.targets import resolve_live
    from scenarios.live import Live

    _shop(make_container, run_id, n=3)
    bare = make_container(SLEEP, name=f"bare-{run_id}", labels={"run": run_id})
    section = {"targets": {"api": {"project": f"shop{run_id}", "service": "api"}, "bare": {"names": [bare.name]}},
               "faults": [{"kind": "kill", "target": "api"}]}
    with pytest.raises(TargetError, match=f"target 'bare' .*bare-{run_id}"):
        resolve_live(Live.model_validate(section), rng=random.Random(0))
    allowed = Live.model_validate({**section, "allow_unlabelled": True})
    assert {n: len(cs) for n, cs in resolve_live(allowed, rng=random.Random(0)).items()} == {"api": 3, "bare": 1}
    with pytest.raises(TargetError, match="would touch 4 containers, more than max_blast_radius 3"):
        resolve_live(Live.model_validate({**section, "allow_unlabelled": True, "max_blast_radius": 3}), rng=random.Random(0))
