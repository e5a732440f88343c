"""The proxied faults' parameters: durations and rates read as tc writes them, checked
against hand conversions; a toxic refuses what it cannot mean."""

from __future__ import annotations

import pytest

from chaos.faults import FaultError
from chaos.faults.proxied import bytes_per_second, seconds, via_proxy
from chaos.proxy import ProxyError, Route, Toxic


@pytest.mark.parametrize("value, expected", [
    ("150000us", 0.15), ("100ms", 0.1), ("2s", 2.0), ("1.5s", 1.5), ("1m", 60.0), (0, 0.0), (0.25, 0.25), ("3", 3.0),
])
def test_durations_in_tc_units_or_seconds(value, expected):
    assert seconds("latency", "delay", value) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["fast", "-1s", "10 parsecs", True, -2])
def test_a_duration_that_is_not_one_is_refused_by_name(value):
    with pytest.raises(FaultError, match="latency: `delay` is a duration"):
        seconds("latency", "delay", value)


@pytest.mark.parametrize("value, expected", [
    ("1mbit", 125_000), ("500kbit", 62_500), ("8bit", 1), ("64kbps", 64_000), ("1gbit", 125_000_000), ("2mbps", 2e6),
])
def test_rates_in_bytes_a_second(value, expected):
    assert bytes_per_second("bandwidth", value) == pytest.approx(expected)


def test_a_rate_without_a_unit_is_refused():
    with pytest.raises(FaultError, match="rate in tc units"):
        bytes_per_second("bandwidth", "1000")


def test_only_a_port_or_a_listen_address_means_the_proxy():
    assert via_proxy({"port": 80}) and via_proxy({"listen": "127.0.0.1:1"}) and not via_proxy({"delay": "1ms"})


def test_a_toxic_refuses_an_unknown_type_stream_or_probability():
    with pytest.raises(ProxyError, match="unknown toxic 'slicer'"):
        Toxic("slicer")
    with pytest.raises(ProxyError, match="upstream or downstream"):
        Toxic("latency", stream="both")
    with pytest.raises(ProxyError, match="probability"):
        Toxic("latency", toxicity=1.5)
    with pytest.raises(ProxyError, match="rate above 0"):
        Toxic("bandwidth")
    assert Toxic.from_json(Toxic("timeout", after=2.0).to_json()) == Toxic("timeout", after=2.0)


def test_a_route_reads_back_what_it_writes():
    route = Route("172.18.0.1", 0, "172.18.0.3", 5432)
    assert route.arg() == "172.18.0.1:0=172.18.0.3:5432" and Route.parse(route.arg()) == route
