"""gunicorn's settings for the portal, read from the folder gunicorn is started in (the checkout:
``gunicorn wsgi:app``, ``make serve``; README, Deploying). Options on the command line win.

Only the standard library here: the master reads this file, and a master that imported the portal
would hand its workers the old code after a graceful reload (``kill -HUP``) of a new release.
"""

import importlib.util
import os
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent

# The instance folder, as ``portal.create_app`` finds it: YANXIU_INSTANCE_PATH, else Flask's default
# for the ``portal`` package, ``instance`` beside it (tests/production/test_serving.py keeps them equal).
instance_folder = Path(os.environ.get("YANXIU_INSTANCE_PATH") or _CHECKOUT / "instance")

# gunicorn (25.1+) opens a control socket for ``gunicornc`` at one path per user ($XDG_RUNTIME_DIR
# or ~/.gunicorn/gunicorn.ctl): a second server of the same user — a staging site, another
# district's — took it over, so ``gunicornc -c shutdown`` meant for one stopped the other, and the
# first to stop removed it from under the other. Each deployment's is in its own instance folder.
control_socket = str(instance_folder / "gunicorn.ctl")


def on_exit(server: object) -> None:
    """The master stops: remove the marker its workers made if they refused to start."""
    source = _CHECKOUT / "portal" / "refused_start.py"
    spec = importlib.util.spec_from_file_location("yanxiu_refused_start", source)
    if spec is None or spec.loader is None or not source.is_file():
        return  # nothing to remove here (the next refusal removes a marker whose master is gone)
    refused_start = importlib.util.module_from_spec(spec)  # stdlib only: without importing the portal
    spec.loader.exec_module(refused_start)
    refused_start.forget_marker(os.getpid())
