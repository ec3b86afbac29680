"""The ``billing`` command line as a user drives it: demo, stats, history, rebuild, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from billing.bootstrap import Settings, build
from billing.entrypoints.cli import main
from billing.entrypoints.cli.choices import ReadModel
from eventram import EventQuery, open_store


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding a small demo data set (made once for the module)."""
    data_dir = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--payments", "400", "--months", "3", "--data-dir", str(data_dir)]) == 0
    return data_dir


def a_payment(data_dir: Path, event_type: str) -> str:
    store = open_store(data_dir)
    try:
        return store.find(EventQuery(event_types=[event_type], limit=1))[0].stream_id
    finally:
        store.close()


def test_demo_creates_payments_and_shows_their_statistics(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "demo", "--payments", "250", "--data-dir", str(tmp_path))

    assert code == 0
    assert "Creating 250 payments" in out
    assert "commands/s" in out
    for status in ("completed", "failed", "refunded", "pending"):
        assert status in out
    assert "EUR" in out
    assert "Payment events per month" in out
    assert "Largest organizations" in out


def test_demo_writes_months_of_time_ordered_history_to_the_data_dir(demo_dir: Path) -> None:
    store = open_store(demo_dir)
    try:
        events = store.read_all()
    finally:
        store.close()

    times = [e.recorded_at for e in events]
    assert times == sorted(times)
    assert (times[-1] - times[0]).days >= 80
    assert sum(e.event_type == "PaymentRequested" for e in events) == 400


def test_stats_read_what_the_demo_wrote(capsys: pytest.CaptureFixture[str], demo_dir: Path) -> None:
    code, out, _ = run(capsys, "stats", "--data-dir", str(demo_dir), "--interval", "week")

    assert code == 0
    assert "400" in out  # the total of the status table
    assert "Payment events per week" in out
    assert "-W" in out


def test_stats_of_one_organization_over_a_range(
    capsys: pytest.CaptureFixture[str], demo_dir: Path
) -> None:
    code, out, _ = run(
        capsys,
        "stats",
        "--data-dir",
        str(demo_dir),
        "--org",
        "org-0001",
        "--from",
        "2000-01-01",
        "--interval",
        "month",
    )

    assert code == 0
    assert "Payments of organization org-0001" in out
    assert "Largest organizations" not in out


def test_history_shows_a_payments_events_in_order(
    capsys: pytest.CaptureFixture[str], demo_dir: Path
) -> None:
    payment_id = a_payment(demo_dir, "PaymentRefunded")

    code, out, _ = run(capsys, "history", payment_id, "--data-dir", str(demo_dir))

    assert code == 0
    assert out.index("requested") < out.index("processed") < out.index("refunded")
    assert "reason:" in out


def test_history_of_an_unknown_payment_exits_with_not_found(
    capsys: pytest.CaptureFixture[str], demo_dir: Path
) -> None:
    code, _, err = run(capsys, "history", "no-such-payment", "--data-dir", str(demo_dir))

    assert code == 3
    assert "Payment 'no-such-payment' was not found" in err


def test_history_scoped_to_another_organization_is_not_found(
    capsys: pytest.CaptureFixture[str], demo_dir: Path
) -> None:
    payment_id = a_payment(demo_dir, "PaymentRequested")

    code, _, _ = run(
        capsys, "history", payment_id, "--data-dir", str(demo_dir), "--org", "org-nobody"
    )

    assert code == 3


def test_rebuild_reports_each_projection(
    capsys: pytest.CaptureFixture[str], demo_dir: Path
) -> None:
    code, out, _ = run(capsys, "rebuild", "--data-dir", str(demo_dir))

    assert code == 0
    assert "payments" in out
    assert "event_counters" in out
    assert "events/s" in out


def test_rebuilding_an_unknown_projection_is_refused_naming_the_read_models(
    capsys: pytest.CaptureFixture[str], demo_dir: Path
) -> None:
    code, _, err = run(capsys, "rebuild", "ledger", "--data-dir", str(demo_dir))

    assert code == 2
    assert "'ledger' is not one of 'payments', 'event_counters'" in err


def test_the_rebuild_choices_are_the_projections_the_service_registers(tmp_path: Path) -> None:
    with build(Settings(data_dir=str(tmp_path)), start_projections=False) as service:
        assert sorted(service.projections.names) == sorted(ReadModel)


def test_rebuilding_one_projection_rebuilds_only_it(
    capsys: pytest.CaptureFixture[str], demo_dir: Path
) -> None:
    code, out, _ = run(capsys, "rebuild", "event_counters", "--data-dir", str(demo_dir))

    assert code == 0
    assert "event_counters" in out
    assert "payments " not in out


def test_a_demo_into_a_data_dir_that_holds_events_is_refused(
    capsys: pytest.CaptureFixture[str], demo_dir: Path
) -> None:
    code, _, err = run(capsys, "demo", "--payments", "5", "--data-dir", str(demo_dir))

    assert code == 2
    assert "already holds" in err


def test_stats_of_an_empty_data_dir_say_how_to_fill_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "stats", "--data-dir", str(tmp_path))

    assert code == 2
    assert "billing demo" in err


def test_a_bad_interval_is_refused(capsys: pytest.CaptureFixture[str], demo_dir: Path) -> None:
    code, _, err = run(capsys, "stats", "--data-dir", str(demo_dir), "--interval", "year")

    assert code == 2
    assert "--interval" in err


def test_the_console_script_runs_demo_then_stats(tmp_path: Path) -> None:
    billing = Path(sys.executable).with_name("billing")
    env = {**os.environ, "COLUMNS": "120"}
    demo = subprocess.run(
        [billing, "demo", "--payments", "60", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    stats = subprocess.run(
        [billing, "stats", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    assert demo.returncode == 0, demo.stderr
    assert stats.returncode == 0, stats.stderr
    assert "Amounts per currency" in stats.stdout


def test_stats_start_from_the_snapshots_the_demo_saved(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "demo", "--payments", "80", "--data-dir", str(tmp_path))
    assert code == 0
    assert "Saved 2 read-model snapshots" in out

    code, out, _ = run(capsys, "stats", "--data-dir", str(tmp_path))

    assert code == 0
    assert "rebuilding" not in out
    assert "Saved" not in out
    assert "80" in out


def test_stats_without_snapshots_rebuild_the_read_models_and_save_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "demo", "--payments", "80", "--data-dir", str(tmp_path))[0] == 0
    for snapshot in (tmp_path / "snapshots").iterdir():
        snapshot.unlink()

    code, out, _ = run(capsys, "stats", "--data-dir", str(tmp_path))

    assert code == 0
    assert "Saved 2 read-model snapshots" in out
    assert len(list((tmp_path / "snapshots").iterdir())) == 2
