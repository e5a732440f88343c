"""What ``log import`` says it did adds up: every row read is new, already in the
log, or a bad row skipped — checked against hand-made files whose counts are known."""

from __future__ import annotations

from incidents import import_file
from incident_log_helpers import run_cli, write_csv

PD_HEADER = ["incident_number", "title", "created_at", "resolved_at", "service_name", "seconds_to_first_ack"]


def test_a_file_with_one_good_and_two_bad_rows_says_one_new_and_two_skipped(store, tmp_path):
    f = write_csv(tmp_path / "pd.csv", PD_HEADER, [
        [101, "checkout 500s", "2026-10-01T10:00:00+00:00", "2026-10-01T11:00:00+00:00", "checkout", 120],
        [102, "bad ack", "2026-10-02T10:00:00+00:00", "", "checkout", "soon"],
        [103, "no creation time", "", "", "checkout", 60],
    ])
    r = import_file(store, f, skip_bad=True)
    assert (r.rows_read, r.inserted, r.already_present, r.skipped) == (3, 1, 0, 2)
    assert r.message == f"read 3 rows of {f} (pagerduty): 1 new incident, 0 already in the log, 2 bad rows skipped"
    assert "imported 3" not in r.message


def test_a_second_file_tells_new_from_already_present_from_bad(store, tmp_path):
    first = write_csv(tmp_path / "a.csv", PD_HEADER, [
        [1, "a", "2026-10-01T10:00:00+00:00", "", "api", 30],
        [2, "b", "2026-10-02T10:00:00+00:00", "", "api", 40],
    ])
    import_file(store, first)
    second = write_csv(tmp_path / "b.csv", PD_HEADER, [
        [1, "a", "2026-10-01T10:00:00+00:00", "2026-10-01T10:30:00+00:00", "api", 30],  # present: gains resolved_at
        [2, "b", "2026-10-02T10:00:00+00:00", "", "api", 40],  # present
        [3, "c", "2026-10-03T10:00:00+00:00", "", "api", 50],  # new
        [4, "d", "2026-10-04T10:00:00+00:00", "2026-10-04T09:00:00+00:00", "api", 50],  # resolved before created
    ])
    r = import_file(store, second, skip_bad=True)
    assert (r.rows_read, r.inserted, r.already_present, r.updated, r.skipped) == (4, 1, 2, 1, 1)
    assert r.message == (f"read 4 rows of {second} (pagerduty): 1 new incident, 2 already in the log "
                         "(1 updated with the file's values, 1 unchanged), 1 bad row skipped")
    again = import_file(store, second, skip_bad=True)
    assert (again.inserted, again.already_present, again.updated, again.skipped) == (0, 3, 0, 1)
    assert again.message.endswith(": 0 new incidents, 3 already in the log (3 unchanged), 1 bad row skipped")


def test_the_cli_prints_the_same_counts(capsys, tmp_path):
    f = write_csv(tmp_path / "pd.csv", PD_HEADER, [
        [7, "x", "2026-10-01T10:00:00+00:00", "", "api", 30],
        [8, "y", "not a time", "", "api", 30],
    ])
    code, out, err = run_cli(capsys, "log", "--db", str(tmp_path / "l.db"), "import", str(f), "--skip-bad")
    assert code == 0, err
    assert f"read 2 rows of {f} (pagerduty): 1 new incident, 0 already in the log, 1 bad row skipped" in out
    assert f"{f}:3: created_at: expected an ISO 8601 time" in err
