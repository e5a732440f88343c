"""The drillbit application shell: the ``drillbit`` command, workspaces and schedules."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("drillbit")
except PackageNotFoundError:  # running from a checkout that was not installed
    __version__ = "0+unknown"
