"""The example team (``team.yaml``) and its runbooks, shipped as package data."""

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
