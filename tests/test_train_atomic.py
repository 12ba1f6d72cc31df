"""A killed `newsdesk train` leaves no partial artifact and the previous one intact."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from train_fixtures import write_recipe

from service import cli
from service.artifacts import ACTIVE, load_manifest
from service.errors import ConfigError
from service.features import EncodedText
from service.text import Sentence
from service.trained_tagger import load_topic_model
from training.artifact import TMP_PREFIX, write_artifact

KILL_TIMEOUT_S = 300


def _train_in_process(capsys, recipe: Path) -> Path:
    assert cli.main(["train", str(recipe), "--promote"]) == 0
    return Path(capsys.readouterr().out.strip())


def _read_pty(fd: int, timeout_s: float, until: Callable[[bytes], bool] = lambda seen: False) -> bytes:
    """What the pty gives until `until` holds for it, the process on the other side has gone, or
    `timeout_s` has passed."""
    seen = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not until(seen):
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        seen += chunk
    return seen


def _an_epoch_finished(seen: bytes) -> bool:
    return b"head:" in seen and b"dev=" in seen


def _wait_for_epochs(fd: int, proc: subprocess.Popen, timeout_s: float) -> None:
    """Read the progress bar from the pty until it shows a finished epoch of the head."""
    seen = _read_pty(fd, timeout_s, _an_epoch_finished)
    if not _an_epoch_finished(seen):
        raise AssertionError(f"no epoch finished in {timeout_s:.0f} s (exit {proc.poll()}): {seen[-2000:]!r}")


@pytest.mark.parametrize(
    ("sig", "returncode", "last_line"),
    [(signal.SIGKILL, -signal.SIGKILL, None), (signal.SIGINT, 130, "newsdesk: interrupted")],
    ids=["SIGKILL", "Ctrl-C"],
)
def test_a_killed_or_interrupted_training_keeps_the_old_artifact(
    tmp_path, capsys, sig, returncode, last_line
):
    old = _train_in_process(capsys, write_recipe(tmp_path, "multi-class", version="old"))
    long_run = write_recipe(tmp_path, "multi-class", version="new", epochs=1_000_000)
    master, slave = pty.openpty()  # a terminal, so the progress bar shows and says when training runs
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # 0 columns: an empty bar
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "train", str(long_run), "--promote"],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        # Ctrl-C's signal as a terminal sends it: a shell's background jobs, CI's among them, may ignore it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(slave)
    try:
        _wait_for_epochs(master, proc, KILL_TIMEOUT_S)
        proc.send_signal(sig)
        proc.wait(timeout=30)
        rest = _read_pty(master, 10).decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert proc.returncode == returncode
    if last_line:
        assert rest.strip().splitlines()[-1] == last_line and "Traceback" not in rest
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [ACTIVE, old.name]  # no partial or hidden folder
    folder, manifest = load_manifest(out)
    assert folder == old and manifest.version == "old"
    model = load_topic_model(folder, manifest)
    doc = EncodedText([Sentence(0, 0, 5, "Goal!", 0)], np.ones((1, 384), np.float32) / 384**0.5)
    probs = model.predict([doc])
    assert probs.shape == (1, 3) and abs(float(probs.sum()) - 1.0) < 1e-5


def test_a_crash_while_writing_leaves_nothing_and_the_next_run_sweeps_stale_temps(tmp_path):
    out = tmp_path / "out"
    stale = out / f"{TMP_PREFIX}tiny-1-999999999"  # a pid that cannot be running
    stale.mkdir(parents=True)
    (stale / "weights.safetensors").write_bytes(b"half")

    def crash(folder: Path) -> None:
        (folder / "encoder").mkdir()
        raise OSError("disk full")

    with pytest.raises(ConfigError, match="^output: cannot write .*: disk full$"):  # one line, no traceback
        write_artifact(out, "tiny-2", {"manifest.json": b"{}"}, crash)
    assert list(out.iterdir()) == []  # the stale temp swept, the crashed one removed, nothing renamed
    path = write_artifact(out, "tiny-3", {"a.txt": b"x"})
    assert path == out / "tiny-3" and (path / "a.txt").read_bytes() == b"x"


_FIT_FOREVER = """
import numpy as np
from scipy import sparse
from training.topics import _solve
rng = np.random.default_rng(0)
x = sparse.random(2000, 5000, density=0.02, format="csr", random_state=0)
gold = (rng.random((2000, 40)) < 0.1).astype(np.int64)
while True:
    _solve(x, gold, 1.0, True, 13)
"""


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from Linux's /proc")
def test_a_killed_multi_label_fit_leaves_no_worker_processes():
    """The one-vs-rest fit runs its labels in worker processes, which must not outlive a SIGKILLed run."""
    proc = subprocess.Popen([sys.executable, "-c", _FIT_FOREVER], stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)  # loky's resource tracker and at least one worker
            workers = _children(proc.pid)
        assert len(workers) >= 2, f"no worker processes appeared (exit {proc.poll()})"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    shared = Path("/dev/shm")  # where joblib puts the features it shares with the workers, when it can

    def left() -> tuple[list[int], list[str]]:
        alive = [p for p in workers if Path(f"/proc/{p}").exists()]
        return alive, [f.name for f in shared.glob(f"joblib_memmapping_folder_{proc.pid}_*")]

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(left()):
        time.sleep(0.5)
    alive, folders = left()
    for p in alive:  # leave the machine clean even when the test fails
        os.kill(p, signal.SIGKILL)
    assert not alive, f"worker processes {alive} outlived the killed fit"
    assert not folders, f"shared memory {folders} outlived the killed fit"
