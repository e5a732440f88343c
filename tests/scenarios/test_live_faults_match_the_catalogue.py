"""The drill language's fault kinds and fields are those the chaos catalogue applies."""

import pytest

from scenarios.live import FAULT_FIELDS, LiveFault

docker = pytest.importorskip("docker")


def test_every_kind_of_the_language_is_in_the_catalogue_and_back():
    from chaos.faults import FAULTS

    assert set(FAULT_FIELDS) == set(FAULTS)


def test_a_field_of_another_kind_is_an_error_naming_its_owner():
    with pytest.raises(ValueError, match="'rate' is not a field of a latency fault .*bandwidth"):
        LiveFault.model_validate({"kind": "latency", "target": "api", "delay": "100ms", "rate": "1mbit"})


def test_a_missing_field_is_named():
    with pytest.raises(ValueError, match="a packet-loss fault needs 'loss'"):
        LiveFault.model_validate({"kind": "packet-loss", "target": "api"})


def test_params_use_the_catalogue_names_and_tc_units():
    f = LiveFault.model_validate({"kind": "latency", "target": "api", "delay": "150ms", "jitter": "20ms"})
    assert f.params() == {"delay": "150000us", "jitter": "20000us"}
    f = LiveFault.model_validate({"kind": "packet-loss", "target": "api", "loss": 0.3, "direction": "input"})
    assert f.params() == {"probability": 0.3, "direction": "input"}
