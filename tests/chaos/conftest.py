"""A real Docker engine for the chaos tests: the test image (a static busybox copied
into an empty image, so nothing is pulled) and containers the tests create and always
remove. Without an engine the tests skip on a laptop and fail under CI=true."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

IMAGE = "drillbit-busybox:test"
#: Every container a test makes carries this label, so a crashed session's leftovers can be found.
TEST_LABEL = "drillbit.test"
BUSYBOX = "/bin/busybox"


def _unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs a Docker engine for the chaos tests: {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def docker_client():
    """The local engine's client, checked to answer."""
    from chaos.engine import connect
    from chaos.errors import EngineError

    try:
        return connect()
    except EngineError as exc:
        _unavailable(str(exc))


@pytest.fixture(scope="session")
def image(docker_client, tmp_path_factory) -> str:
    """The test image: busybox (static) with its applets linked into /bin."""
    busybox = shutil.which("busybox") or BUSYBOX
    if not Path(busybox).is_file():
        _unavailable("no static busybox to build the test image from (apt-get install busybox-static)")
    context = tmp_path_factory.mktemp("image")
    shutil.copy(busybox, context / "busybox")
    (context / "Dockerfile").write_text('FROM scratch\nCOPY busybox /bin/busybox\n'
                                        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\nCMD ["/bin/sh"]\n')
    docker_client.images.build(path=str(context), tag=IMAGE, rm=True)
    return IMAGE


@pytest.fixture
def make_container(docker_client, image):
    """``make_container(command, labels=…, **run_kwargs)`` starts a container (labelled
    ``drillbit.chaos=allow`` unless ``labels`` says otherwise) and removes it at the end."""
    made = []

    def make(command: str = "httpd -f -p 8080", *, labels: dict[str, str] | None = None, **kwargs):
        given = {"drillbit.chaos": "allow"} if labels is None else dict(labels)
        given[TEST_LABEL] = "1"
        c = docker_client.containers.run(image, ["sh", "-c", command], detach=True, labels=given,
                                          name=kwargs.pop("name", f"dbt-{uuid.uuid4().hex[:10]}"), **kwargs)
        made.append(c)
        c.reload()
        return c

    yield make
    for c in made:
        try:
            c.remove(force=True)
        except Exception:  # noqa: BLE001 - already gone
            pass

