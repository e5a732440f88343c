"""The Alertmanager webhook payload (``version: "4"``), as a game day receives it.

The shape follows Alertmanager's own definition (``notify/webhook/webhook.go``: the
message; ``template/template.go``: ``Data``, ``Alert``, ``KV``)::

    {"version": "4", "groupKey": "...", "truncatedAlerts": 0,
     "receiver": "drillbit", "status": "firing", "externalURL": "http://am:9093",
     "groupLabels": {...}, "commonLabels": {...}, "commonAnnotations": {...},
     "alerts": [{"status": "firing", "labels": {"alertname": "ApiDown", ...},
                 "annotations": {...}, "startsAt": "2026-12-01T10:00:00Z",
                 "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "...", "fingerprint": "..."}]}

Unlike the drill language, unknown keys are ignored: each Alertmanager release may add
a field (``notification_reason`` and ``routeLabels`` came late), and a receiver that
refused them would drop real alerts. What a game day needs is required: the version,
each alert's status and its ``alertname`` label. Everything else Alertmanager always
sends is optional here, so a hand-written ``curl`` payload works too.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from .base import Model
from .errors import DrillbitError, format_path

#: The payload version this module reads (``Message.Version`` in webhook.go).
VERSION = "4"
#: Go's zero time, which Alertmanager writes as ``endsAt`` of an alert with no end yet.
_GO_ZERO_YEAR = 1

Status = Literal["firing", "resolved"]


class WebhookError(DrillbitError):
    """A webhook body that is not an Alertmanager version 4 payload."""


class _Payload(Model):
    # The drill language's conventions (immutable, numbers written as text read as text),
    # but unknown keys are dropped: see the module docstring.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class WebhookAlert(_Payload):
    """One alert of a notification: firing or resolved, its labels (``alertname``,
    usually ``severity``, ``service`` or ``job``) and annotations, when it started and
    ended (``ends_at`` None while it has no end)."""

    status: Status
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime | None = Field(None, alias="startsAt")
    ends_at: datetime | None = Field(None, alias="endsAt")
    generator_url: str = Field("", alias="generatorURL")
    fingerprint: str = ""

    @field_validator("labels")
    @classmethod
    def _named(cls, labels: dict[str, str]) -> dict[str, str]:
        if not labels.get("alertname"):
            raise PydanticCustomError("alertname", "every alert needs an 'alertname' label")
        return labels

    @field_validator("ends_at")
    @classmethod
    def _no_end(cls, value: datetime | None) -> datetime | None:
        return None if value is not None and value.year == _GO_ZERO_YEAR else value

    @property
    def name(self) -> str:
        """The ``alertname`` label."""
        return self.labels["alertname"]


class Webhook(_Payload):
    """One notification from Alertmanager: a group of alerts sent to one receiver."""

    version: str
    status: Status
    alerts: tuple[WebhookAlert, ...]
    receiver: str = ""
    group_key: str = Field("", alias="groupKey")
    truncated_alerts: int = Field(0, alias="truncatedAlerts", ge=0)
    group_labels: dict[str, str] = Field(default_factory=dict, alias="groupLabels")
    common_labels: dict[str, str] = Field(default_factory=dict, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field("", alias="externalURL")


def parse_webhook(body: bytes) -> Webhook:
    """Read an Alertmanager webhook body. Raises WebhookError with what is wrong: text
    that is not UTF-8 JSON (with its ``line:col``), another payload version, or every
    missing or mistyped field by its dotted path (``alerts[0].labels.alertname``)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookError(f"the webhook body is not UTF-8 text (byte {exc.start + 1} is not)") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WebhookError(f"the webhook body is not JSON: {exc.lineno}:{exc.colno}: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise WebhookError(f"the webhook body must be a JSON object, got {_json_type(doc)}")
    version = doc.get("version")
    if version is None:
        raise WebhookError("the webhook body has no 'version'; expected an Alertmanager payload with version \"4\"")
    if version != VERSION:
        raise WebhookError(f"the webhook payload has version {json.dumps(version)}; drillbit reads Alertmanager's "
                           f"version \"{VERSION}\"")
    try:
        return Webhook.model_validate(doc)
    except ValidationError as exc:
        raise WebhookError("the webhook payload is not valid: " + "; ".join(_problems(exc))) from None


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        # pydantic names a field as the payload spells it (the alias): the path is the payload's
        where = format_path(err["loc"])
        if err["type"] == "alertname":
            out.append(f"{where}.alertname: missing ({err['msg']})")
        elif err["type"] == "missing":
            out.append(f"{where}: missing")
        elif err["type"] == "value_error":
            # A validator's own sentence, without pydantic's "Value error, " prefix.
            out.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
        else:
            out.append(f"{where}: {err['msg'][:1].lower() + err['msg'][1:]}, got {_shown(err.get('input'))}")
    return out


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value: object) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")
