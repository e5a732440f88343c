"""The incident log: real incidents and drills side by side.

A store (SQLite by default, PostgreSQL by URL; Alembic migrations run on first use),
records (incidents, drill runs with findings and action items, deploys), import and
export (the log's own CSV/JSON and PagerDuty-style exports), and the analyses:
``incident_stats`` (MTTx per period with intervals and an honest trend verdict),
``find_patterns`` (deploys, weekdays, hours, recurring causes) and ``calibrate``
(drills against real incidents). Only this package imports sqlalchemy and alembic.
"""

from .calibrate import Calibration, calibrate
from .drills import record_drill
from .errors import BadRows, IncidentLogError, InvalidRecord, NotFound, RowProblem, StoreError
from .interchange import EXPORTS, FORMATS, ImportResult, detect_format, export_records, import_file
from .patterns import Pattern, PatternsReport, find_patterns
from .queries import (DELETABLE, EDITABLE, MAX_ID, Filter, add_action, add_deploy, add_incident, close_action,
                      count_incidents, delete_record, describe_record, edit_incident, get_incident, get_run, incidents_of_run, list_actions, list_deploys, list_findings,
                      list_incidents, list_runs)
from .records import ActionItem, Deploy, DrillRun, Finding, Incident, METRICS, parse_time
from .schema import HEAD
from .store import IncidentLog, Migration, default_path, migrate, normalize_url, open_store, resolve_url
from .trends import StatsReport, Trend, incident_stats

__all__ = [
    "DELETABLE", "MAX_ID", "delete_record", "describe_record",
    "ActionItem", "BadRows", "Calibration", "Deploy", "DrillRun", "EDITABLE", "EXPORTS", "FORMATS", "Filter", "Finding",
    "HEAD", "ImportResult", "Incident", "IncidentLog", "IncidentLogError", "InvalidRecord", "METRICS", "Migration",
    "NotFound", "Pattern", "PatternsReport", "RowProblem", "StatsReport", "StoreError", "Trend", "add_action",
    "add_deploy", "add_incident", "calibrate", "close_action", "count_incidents", "default_path", "detect_format",
    "edit_incident", "export_records", "find_patterns", "get_incident", "get_run", "import_file", "incident_stats",
    "incidents_of_run", "list_actions", "list_deploys", "list_findings", "list_incidents", "list_runs", "migrate",
    "normalize_url", "open_store", "parse_time", "record_drill", "resolve_url",
]
