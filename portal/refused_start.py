"""A server start refused in one line: what ``wsgi.py`` does with a setting or a database the
portal cannot serve with.

Under gunicorn each worker imports ``wsgi.py`` and finds the same fault. A worker leaving with
gunicorn's "App failed to load" status (4) makes the master stop — but the master raises that
stop from the code that reaps workers, and when a second worker leaves with 4 while the master is
stopping, the master raises it again inside its own shutdown and dies with a traceback (gunicorn
since 0.14; CTFd #637, gunicorn #2186). With two or more workers that happened on most starts.
So the first worker to refuse leaves with 4, and every other one says its line and waits for the
master's SIGTERM, which ends it without a status the master would raise for; one the master has
told to stop already (gunicorn's own handler noted the SIGTERM while it loaded) just leaves.
A marker file named after the master says which worker was first. The master removes it as it
stops (``on_exit`` in ``gunicorn.conf.py``); a later refusal removes any left by masters that are
gone (killed, or started without that file).
"""

import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

APP_LOAD_ERROR = 4  # gunicorn's Arbiter.APP_LOAD_ERROR: "App failed to load.", the master stops
WAIT_FOR_MASTER = 10.0  # seconds; the master stops its workers within one of its loops (about 1 s)
MARKER_PREFIX = "yanxiu-refused-start-"  # in the temporary folder, one per master whose workers refused


def refuse(reason: str) -> NoReturn:
    """Say ``Error: reason`` and leave as a server expects of an app that cannot load."""
    print(f"Error: {reason}", file=sys.stderr, flush=True)
    if _under_gunicorn_worker() and not _first_to_refuse():
        _wait_to_be_stopped()
    raise SystemExit(APP_LOAD_ERROR) from None  # alone, or the master never stopped us


def _under_gunicorn_worker() -> bool:
    return "gunicorn.workers.base" in sys.modules


def _first_to_refuse() -> bool:
    """Whether no other worker of this master has refused: a marker file made atomically, named
    after the master's pid and start time (so a later master with the same pid is not misled)."""
    _forget_gone_masters()
    marker = _marker(os.getppid())
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    except OSError:
        return True  # no marker possible: refuse as a lone worker would
    return True


def forget_marker(master: int) -> None:
    """Remove the marker of the master ``master`` (gunicorn.conf.py's ``on_exit``, as it stops).

    It stays in the temporary folder, not the instance folder: it must be writable whatever the
    refusal is about (the setting at fault may be the instance folder itself, or a folder in it)."""
    _marker(master).unlink(missing_ok=True)


def _marker(master: int) -> Path:
    return Path(tempfile.gettempdir()) / f"{MARKER_PREFIX}{_master_identity(master)}"


def _forget_gone_masters() -> None:
    """Remove the markers of masters no longer running (one stopped without ``on_exit``: killed, or
    started with a gunicorn configuration of its own)."""
    for old in Path(tempfile.gettempdir()).glob(f"{MARKER_PREFIX}*"):
        pid = old.name.removeprefix(MARKER_PREFIX).split("-")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists() and Path("/proc/self").exists():
            old.unlink(missing_ok=True)


def _master_identity(master: int) -> str:
    try:  # field 22 of /proc/<pid>/stat, the process's start time in clock ticks (Linux)
        started = Path(f"/proc/{master}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        started = "0"
    return f"{master}-{started}"


def _wait_to_be_stopped() -> None:
    """Let the master's SIGTERM end this worker (gunicorn's own handler would only note it), and
    return after a while if it never comes."""
    worker = getattr(signal.signal(signal.SIGTERM, signal.SIG_DFL), "__self__", None)
    if worker is not None and getattr(worker, "alive", True) is False:
        raise SystemExit(0)  # the SIGTERM came while it loaded: the master is stopping
    deadline = time.monotonic() + WAIT_FOR_MASTER
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.5))
