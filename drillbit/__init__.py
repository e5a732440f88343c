"""The drillbit application shell: the ``drillbit`` command, workspaces and schedules."""

__version__ = "0.1.0"
