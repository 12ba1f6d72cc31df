"""Writing an artifact so that a crash never leaves half of one, and promoting it.

Everything is rendered in memory first (weights, manifest, card, plots); only then is a hidden temporary
folder written inside the output folder and renamed into place in one step. A run killed before the
rename leaves at most that hidden folder, which loaders never read and the next run removes. The ACTIVE
pointer is replaced atomically too, so the promoted artifact is always a whole one.
"""

from __future__ import annotations

import errno
import os
import platform
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from service.artifacts import ACTIVE, MANIFEST, Manifest, load_manifest
from service.errors import ConfigError

TMP_PREFIX = ".tmp-"


def library_versions() -> dict[str, str]:
    """What the artifact was made with, for its manifest and card."""
    import numpy as np
    import spacy
    import torch
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "spacy": spacy.__version__,
        "numpy": np.__version__,
    }


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


class FolderTaken(ConfigError):
    """The artifact's folder exists already."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} exists already; set another `version` or leave it out")


def check_free(output: Path, folder: str | None, promoting: bool = False) -> None:
    """Before any work: the artifact's folder (None: its version is picked when it is written) can be made
    in `output` and is not taken; and, `promoting`, the active artifact it would be judged against can be
    read (an ACTIVE naming a missing folder would stop the run only once it has trained and written)."""
    check_writable(output, "output")
    if folder is not None and (output / folder).exists():
        raise FolderTaken(output / folder)
    if promoting:
        active_manifest(output)


def pick_version(output: Path, name: str) -> str:
    """The version of a run that sets none: the UTC time to the second, then `-02`, `-03`, … when an
    artifact `name` of that second exists, so that runs in one second do not collide and still sort."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    version, n = stamp, 1
    while (output / f"{name}-{version}").exists():
        n += 1
        version = f"{stamp}-{n:02d}"
    return version


def write_new(
    output: Path, name: str, version: str | None, render: Callable[[str], dict[str, bytes]],
    write_more: Callable[[Path], None] | None = None,
) -> Path:
    """`write_artifact` of the files `render(v)` makes as `output/name-v`: v is `version`, or when None one
    picked as it is written (another run of the recipe can take one meanwhile: then the next)."""
    while True:
        v = version or pick_version(output, name)
        try:
            return write_artifact(output, f"{name}-{v}", render(v), write_more)
        except FolderTaken:
            if version is not None:
                raise


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
            try:
                os.rename(tmp, output / folder)
            except OSError as e:  # made meanwhile (after check_free) by a run in parallel
                if e.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    raise FolderTaken(output / folder) from e
                raise
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


def _other_kind(new: Manifest, old: Manifest) -> str | None:
    """How `new` is another kind of model than `old` (task, labels, main metric), or None."""
    active = f"the active {old.name}-{old.version}"
    if new.task != old.task:
        return f"has task {new.task}, {active} {old.task}"
    differ = sorted({lb.code for lb in new.taxonomy} ^ {lb.code for lb in old.taxonomy})
    if differ:
        shown = ", ".join(map(repr, differ[:3])) + (", …" if len(differ) > 3 else "")
        return f"tags with other labels than {active} ({shown} in one of them only)"
    if new.main_metric != old.main_metric:
        return f"is judged by {new.main_metric}, {active} by {old.main_metric}"
    return None


def promote(output: Path, folder: str) -> Promotion:
    """Make `output/folder` the active artifact unless its main metric is worse than the active one's, or
    it is another kind of model (the task, the taxonomy, the metric: a server following ACTIVE would
    switch what it answers with)."""
    new = Manifest.model_validate_json((output / folder / MANIFEST).read_text(encoding="utf-8"))
    old = active_manifest(output)
    metric = new.main_metric
    other = None if old is None else _other_kind(new, old)
    if other is not None:
        return Promotion(False, f"not promoted: {folder} {other}; give each recipe its own `output`, "
                                f"or write {folder} into {output / ACTIVE} to switch on purpose")
    if old is not None and new.main_value < old.main_value:
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
