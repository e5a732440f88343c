"""Scoring: timelines (from any mode) -> scorecards, distributions, comparisons, gap
findings and action items. Depends only on the timeline and the input models."""

from .actions import ActionItem, action_items
from .batch import BatchScore, ObjectiveShare, score_many
from .compare import Comparison, compare
from .gaps import RULES as GAP_RULES, Finding, find_gaps
from . import expected_runbooks  # noqa: F401  (registers its gap rule)
from . import blind_spots  # noqa: F401  (registers its gap rules)
from .metrics import METRICS, RunMetrics, measure, metric_label
from .objectives import Objective, Outcome, objectives_for
from .power import Power, analytic_runs_needed, runs_needed, simulate_power
from .ratings import CAPABILITIES, RULES as RATING_RULES
from .scorecard import Scorecard, score
from .stats import Interval, Summary, share_interval, summarize
from .result import DrillResult, HotWashNote, Prediction, ResultError
from .prediction import compare_prediction, in_words
from .summary import JSON_VERSION, summarise
from .verdict import Tail, Verdict, judge_runs

__all__ = [
    "ActionItem", "BatchScore", "DrillResult", "HotWashNote", "Prediction", "ResultError", "CAPABILITIES", "Comparison", "Finding", "GAP_RULES", "Interval", "JSON_VERSION",
    "METRICS", "Objective", "ObjectiveShare", "Outcome", "Power", "RATING_RULES", "RunMetrics", "Scorecard", "Summary",
    "action_items", "analytic_runs_needed", "compare", "compare_prediction", "find_gaps", "in_words", "measure", "metric_label", "objectives_for",
    "runs_needed", "score", "score_many", "share_interval", "simulate_power", "summarize", "summarise", "Tail",
    "Verdict", "judge_runs",
]
