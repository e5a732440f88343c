"""The engine the chaos tests run against answers and runs the test image."""

import pytest

from chaos.engine import connect
from chaos.errors import EngineError



def test_the_engine_runs_a_container_of_the_test_image(make_container):
    c = make_container("echo ready; sleep 30")
    assert c.status == "running"


def test_an_engine_that_does_not_answer_is_named_with_how_to_check():
    with pytest.raises(EngineError, match=r"cannot reach the Docker engine at unix:///nonexistent.sock: .*docker version"):
        connect("unix:///nonexistent.sock", timeout=2)
