"""Writing an artifact so that a crash never leaves half of one, and promoting it.

Everything is rendered in memory first (weights, manifest, card, plots); only then is a hidden temporary
folder written inside the output folder and renamed into place in one step. A run killed before the
rename leaves at most that hidden folder, which loaders never read and the next run removes. The ACTIVE
pointer is replaced atomically too, so the promoted artifact is always a whole one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from service.artifacts import ACTIVE, MANIFEST, Manifest, load_manifest
from service.errors import ConfigError

TMP_PREFIX = ".tmp-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(output: Path) -> None:
    """Hidden temporary folders left by runs that were killed (their process is gone)."""
    if not output.is_dir():
        return
    for p in output.glob(f"{TMP_PREFIX}*"):
        pid = p.name.rsplit("-", 1)[-1]
        if p.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)


def check_writable(path: Path, key: str) -> None:
    """Before any work: `path` (the config's `key`) is, or can be made, a folder this process writes in.
    os.access, not the mode bits: it also sees what stops root (an immutable folder, a read-only mount)."""
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(f"{key}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{key}: cannot write in {existing}")


def check_free(output: Path, folder: str) -> None:
    """Before any work: the artifact's folder can be made in `output` and is not taken."""
    check_writable(output, "output")
    if (output / folder).exists():
        raise ConfigError(f"{output / folder} exists already; set another `version` or leave it out")


def write_artifact(
    output: Path, folder: str, files: dict[str, bytes], write_more: Callable[[Path], None] | None = None
) -> Path:
    """Write `files` (name → bytes) and whatever `write_more` writes into `output/folder`, all or nothing."""
    tmp = output / f"{TMP_PREFIX}{folder}-{os.getpid()}"
    try:
        output.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(output)
        check_free(output, folder)
        tmp.mkdir()
        try:
            for name, data in files.items():
                with (tmp / name).open("wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            if write_more is not None:
                write_more(tmp)
            os.rename(tmp, output / folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    except OSError as e:  # checked up front, but a disk can fill or turn read-only meanwhile: still one line
        raise ConfigError(f"output: cannot write {e.filename or output}: {e.strerror or e}") from e
    return output / folder


def active_manifest(output: Path) -> Manifest | None:
    if not (output / ACTIVE).is_file():
        return None
    return load_manifest(output)[1]


@dataclass
class Promotion:
    promoted: bool
    message: str


def promote(output: Path, folder: str) -> Promotion:
    """Make `output/folder` the active artifact unless its main metric is worse than the active one's."""
    new = Manifest.model_validate_json((output / folder / MANIFEST).read_text(encoding="utf-8"))
    old = active_manifest(output)
    metric = new.main_metric
    if old is not None and old.main_metric == metric and new.main_value < old.main_value:
        return Promotion(
            False,
            f"not promoted: {metric} {new.main_value:.4f} is worse than the active "
            f"{old.name}-{old.version}'s {old.main_value:.4f}",
        )
    tmp = output / f"{ACTIVE}.{os.getpid()}.tmp"
    tmp.write_text(folder + "\n", encoding="utf-8")
    os.replace(tmp, output / ACTIVE)
    was = f" (was {old.name}-{old.version}, {old.main_metric} {old.main_value:.4f})" if old else ""
    return Promotion(True, f"promoted {folder}: {metric} {new.main_value:.4f}{was}")
