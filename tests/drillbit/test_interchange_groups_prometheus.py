"""The ``import`` and ``export`` groups list their formats from stored sentences: each
must be what click shows for the command once loaded, as for the top-level lazy commands
(tests/test_startup_imports.py), and listing them imports no format's module."""

from __future__ import annotations

import pytest

from drillbit.interchange_commands import EXPORTERS, IMPORTERS, export_group, import_group


@pytest.mark.parametrize("group", [import_group, export_group], ids=["import", "export"])
def test_each_format_is_found_under_its_name_with_its_stored_help(group):
    for name, (_, sentence) in group.lazy.items():
        command = group.load(name)
        assert command.name == name
        assert sentence == command.get_short_help_str(limit=10_000)


def test_prometheus_rules_is_a_format_both_ways():
    assert "prometheus-rules" in IMPORTERS and "prometheus-rules" in EXPORTERS
