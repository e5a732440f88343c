"""A live fault through drillbit's proxy: `port` with `peers` or `listen`, and the proxy's
fields only with `port`; the kernel's fields only without it."""

import pytest

from scenarios.live import LiveFault


def fault(**fields):
    return LiveFault.model_validate({"target": "api", **fields})


def test_a_proxied_latency_takes_port_peers_stream_and_toxicity():
    f = fault(kind="latency", delay="200ms", jitter="50ms", port=5432, peers=["db"], stream="upstream", toxicity=0.5)
    assert f.params() == {"delay": "200000us", "jitter": "50000us", "port": 5432, "peers": ["db"],
                          "stream": "upstream", "toxicity": 0.5}


def test_resets_and_timeouts_need_a_port_and_take_after_in_seconds():
    assert fault(kind="connection-timeout", port=80, listen="127.0.0.1:18080", after="2s").params() == {
        "port": 80, "listen": "127.0.0.1:18080", "after": 2.0}
    with pytest.raises(ValueError, match="a connection-reset fault needs 'port'"):
        fault(kind="connection-reset", peers=["db"])


@pytest.mark.parametrize("fields, message", [
    ({"kind": "latency", "delay": "1s", "port": 80}, "on 'port' needs 'peers' .* or 'listen: 127.0.0.1:PORT'"),
    ({"kind": "connection-reset", "port": 80, "peers": ["db"], "listen": "127.0.0.1:1"}, "not both"),
    ({"kind": "latency", "delay": "1s", "listen": "127.0.0.1:1"}, "'listen' belongs to a latency fault through drillbit's proxy: give 'port' too"),
    ({"kind": "bandwidth", "rate": "1mbit", "port": 80, "peers": ["db"], "burst": "32kbit"}, "'burst' belongs to the kernel's bandwidth"),
    ({"kind": "connection-timeout", "port": 80, "listen": "localhost"}, "expected HOST:PORT"),
    ({"kind": "connection-timeout", "port": 80, "listen": "127.0.0.1:1", "stream": "sideways"}, "upstream"),
    ({"kind": "partition", "peers": ["db"], "after": "1s"}, "'after' is not a field of a partition fault"),
])
def test_what_does_not_fit_is_said(fields, message):
    with pytest.raises(ValueError, match=message):
        fault(**fields)
