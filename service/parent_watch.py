"""Worker processes end with the process that started them: `kill -9` gives a parent no chance to stop
its workers, and idle ones (scoring workers, loky's in a training fit) would otherwise live on, holding
models or shared memory."""

from __future__ import annotations

import os
import threading
import time

CHECK_S = 1.0


def exit_with_parent(parent_pid: int) -> None:
    """Call first in a worker: a daemon thread ends the worker once `parent_pid` is no longer its parent."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
