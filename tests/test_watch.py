"""`stratlang watch`: a real subprocess watching a temporary project."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# end to end (the real executable, a browser, Spark or big inputs): not in `make test-fast`
pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "spec_example"


def _wait(pred, log: Path, timeout: float = 60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.1)
    pytest.fail(
        "timed out; watch output so far:\n" + log.read_text(encoding="utf-8", errors="replace")
    )


@pytest.fixture
def project(tmp_path) -> Path:
    for f in DATA.glob("*.strat"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_watch_reports_errors_keeps_watching_and_rebuilds(project: Path):
    log = project / "watch.log"
    out = project / "out"
    env = dict(os.environ, NO_COLOR="1", CI="")
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from stratlang.cli import run; run()",
                "watch",
                str(project / "wealth.strat"),
                "-o",
                str(out),
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=project,
        )
    try:
        text = lambda: log.read_text(encoding="utf-8", errors="replace")
        _wait(lambda: "watching" in text() and (out / "model.json").exists(), log)
        first = json.loads((out / "model.json").read_text(encoding="utf-8"))
        assert "vip_new" not in json.dumps(first)
        time.sleep(0.5)

        # break the imported file: diagnostics printed, outputs untouched, still running
        channels = project / "channels.strat"
        good = channels.read_text(encoding="utf-8")
        channels.write_text(good + "\nsegment broken { rule age > }\n", encoding="utf-8")
        _wait(lambda: "still watching" in text(), log)
        assert "SYN101" in text() and "channels.strat" in text()
        assert proc.poll() is None
        assert json.loads((out / "model.json").read_text(encoding="utf-8")) == first

        # fix it with a new segment: rebuilt
        n_built = text().count("] built")
        time.sleep(1.1)  # a new modification time even on coarse-grained file systems
        channels.write_text(
            good + '\nsegment vip_new "新VIP" { rule aum >= 500万  allow SEG504 }\n',
            encoding="utf-8",
        )
        _wait(lambda: text().count("] built") > n_built, log)
        assert "vip_new" in (out / "model.json").read_text(encoding="utf-8")
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM if os.name != "posix" else signal.SIGINT)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log.read_text(encoding="utf-8", errors="replace")
    assert "stopped" in log.read_text(encoding="utf-8", errors="replace")


def test_watch_missing_entry_is_a_usage_error(tmp_path: Path):
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "from stratlang.cli import run; run()",
            "watch",
            str(tmp_path / "nope.strat"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "file not found" in r.stderr and "Traceback" not in r.stderr
