"""The Alertmanager webhook payload, read as Alertmanager writes it.

The payloads below are written by hand from Alertmanager's definition of the message
(notify/webhook/webhook.go: ``Message`` embeds ``template.Data`` and adds ``version``,
``groupKey`` and ``truncatedAlerts``; template/template.go: ``Data``, ``Alert`` and
``KV``), not from drillbit's output. Go encodes an unset ``time.Time`` as
``0001-01-01T00:00:00Z``, which is what a firing alert's ``endsAt`` holds.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios import DrillbitError
from scenarios.alertmanager import Webhook, WebhookError, parse_webhook

FIRING = b"""{
  "receiver": "drillbit",
  "status": "firing",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "ApiDown", "severity": "P1", "service": "api", "instance": "api:8080"},
      "annotations": {"summary": "the api answers 5xx"},
      "startsAt": "2026-12-01T10:00:05.123Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus:9090/graph?g0.expr=up%3D%3D0",
      "fingerprint": "5e9b8c6a3f1d2e4b"
    },
    {
      "status": "firing",
      "labels": {"alertname": "DbSlow", "job": "db"},
      "annotations": {},
      "startsAt": "2026-12-01T10:00:07+01:00",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "",
      "fingerprint": "a1b2c3d4e5f60718"
    }
  ],
  "groupLabels": {"alertname": "ApiDown"},
  "commonLabels": {},
  "commonAnnotations": {},
  "externalURL": "http://alertmanager:9093",
  "version": "4",
  "groupKey": "{}:{alertname=\\"ApiDown\\"}",
  "truncatedAlerts": 0
}"""

RESOLVED = {
    "receiver": "drillbit", "status": "resolved", "version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0,
    "alerts": [{"status": "resolved", "labels": {"alertname": "ApiDown"}, "annotations": {},
                "startsAt": "2026-12-01T10:00:05Z", "endsAt": "2026-12-01T10:04:00Z",
                "generatorURL": "", "fingerprint": "5e9b8c6a3f1d2e4b"}],
    "groupLabels": {}, "commonLabels": {"alertname": "ApiDown"}, "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
}


def _body(doc: dict) -> bytes:
    return json.dumps(doc).encode()


def test_a_firing_notification_reads_every_alert_with_its_labels_and_times():
    hook = parse_webhook(FIRING)
    assert (hook.version, hook.status, hook.receiver, hook.truncated_alerts) == ("4", "firing", "drillbit", 0)
    assert hook.group_key == '{}:{alertname="ApiDown"}'
    assert hook.external_url == "http://alertmanager:9093"
    api, db = hook.alerts
    assert api.name == "ApiDown" and api.status == "firing"
    assert api.labels == {"alertname": "ApiDown", "severity": "P1", "service": "api", "instance": "api:8080"}
    assert api.annotations == {"summary": "the api answers 5xx"}
    assert api.starts_at == datetime(2026, 12, 1, 10, 0, 5, 123000, tzinfo=timezone.utc)
    assert api.ends_at is None  # Go's zero time: no end yet
    assert api.fingerprint == "5e9b8c6a3f1d2e4b"
    assert db.name == "DbSlow" and db.labels["job"] == "db"
    assert db.starts_at == datetime(2026, 12, 1, 9, 0, 7, tzinfo=timezone.utc)


def test_a_resolved_notification_has_its_end_time():
    hook = parse_webhook(_body(RESOLVED))
    (alert,) = hook.alerts
    assert hook.status == alert.status == "resolved"
    assert alert.ends_at == datetime(2026, 12, 1, 10, 4, tzinfo=timezone.utc)


def test_fields_a_newer_alertmanager_adds_are_ignored():
    doc = {**RESOLVED, "notification_reason": "resolved", "routeLabels": {"team": "shop"},
           "alerts": [{**RESOLVED["alerts"][0], "silencedBy": ["x"]}]}
    assert parse_webhook(_body(doc)).alerts[0].name == "ApiDown"


def test_a_minimal_hand_written_payload_is_enough():
    hook = parse_webhook(b'{"version": "4", "status": "firing", '
                         b'"alerts": [{"status": "firing", "labels": {"alertname": "X"}}]}')
    assert hook.alerts[0].name == "X" and hook.alerts[0].starts_at is None and hook.group_labels == {}


def test_text_that_is_not_json_is_told_with_its_line_and_column():
    # line 3 is `  "status": firing`: two spaces, `"status":` (9), a space, then f at column 13
    body = b'{\n  "version": "4",\n  "status": firing\n}'
    with pytest.raises(WebhookError) as info:
        parse_webhook(body)
    assert str(info.value) == "the webhook body is not JSON: 3:13: Expecting value"


def test_another_payload_version_is_refused_by_name():
    with pytest.raises(WebhookError) as info:
        parse_webhook(_body({**RESOLVED, "version": "3"}))
    assert str(info.value) == 'the webhook payload has version "3"; drillbit reads Alertmanager\'s version "4"'
    with pytest.raises(WebhookError, match="has no 'version'"):
        parse_webhook(b'{"status": "firing", "alerts": []}')


def test_every_missing_or_wrong_field_is_named_by_its_dotted_path():
    doc = {"version": "4", "alerts": [{"status": "firing", "labels": {"job": "api"}},
                                      {"status": "pending", "labels": {"alertname": "B"}},
                                      {"labels": {"alertname": "C"}}]}
    with pytest.raises(WebhookError) as info:
        parse_webhook(_body(doc))
    assert str(info.value) == (
        "the webhook payload is not valid: status: missing; "
        "alerts[0].labels.alertname: missing (every alert needs an 'alertname' label); "
        "alerts[1].status: input should be 'firing' or 'resolved', got \"pending\"; "
        "alerts[2].status: missing")


@pytest.mark.parametrize("body, message", [
    (b"[]", "the webhook body must be a JSON object, got an array"),
    (b'"4"', "the webhook body must be a JSON object, got a string"),
    (b"\xff{}", "the webhook body is not UTF-8 text (byte 1 is not)"),
])
def test_a_body_that_is_no_object_is_refused(body, message):
    with pytest.raises(WebhookError) as info:
        parse_webhook(body)
    assert str(info.value) == message


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200),
                 st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                              lambda kids: st.lists(kids, max_size=3) | st.dictionaries(
                                  st.sampled_from(["version", "status", "alerts", "labels", "alertname", "x"]),
                                  kids, max_size=4), max_leaves=12).map(lambda d: json.dumps(d).encode())))
def test_any_body_is_read_or_refused_with_drillbits_error(body):
    try:
        assert isinstance(parse_webhook(body), Webhook)
    except DrillbitError:
        pass
