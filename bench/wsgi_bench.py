"""The app under benchmark, served by gunicorn (``bench.wsgi_bench:app``, only from
``bench/run.py``, on a loopback port): the real app plus the two bench routes
(``bench/routes.py``), settled for serving as ``wsgi.py`` settles it. Importing this module
builds and settles that app: in-process benchmarks take ``add_bench_routes`` from
``bench.routes`` (``bench.run.make_app``).
"""

from __future__ import annotations

from bench.routes import add_bench_routes
from portal import create_app, settle_for_serving

__all__ = ["add_bench_routes", "app"]

app = add_bench_routes(create_app())
settle_for_serving(app)  # as wsgi.py: the templates compiled, the app frozen, GC_THRESHOLD applied
