"""Profiles of the main pages cold (page cache off: every request renders everything, as the
first look after a change does), to see what dominates before cutting it.

    python bench/profile_pages.py                 # every page: .prof, top functions, flame graph
    python bench/profile_pages.py --page "review queue" --no-flame

For each page it writes into ``bench/profiles/``: ``<page>.prof`` (cProfile of ``--n``
requests, open with ``python -m pstats`` or snakeviz), ``<page>.txt`` (the top functions by
own time and by cumulative time) and, when ``py-spy`` is installed, ``<page>.svg`` (a flame
graph of the same requests sampled by py-spy in a child process). The data is the 1× data
set of ``bench/run.py`` (10 schools × 100 teachers × 2 years), built once in ``--data-dir``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import Store, build_database, client_of, find_targets, make_app  # noqa: E402

PROFILED = ("teacher home", "activity page", "review queue", "activities list", "school summary")
OUT = ROOT / "bench" / "profiles"


def slug(page: str) -> str:
    return page.replace(" ", "-")


def prepare(data_dir: Path):
    data_dir.mkdir(parents=True, exist_ok=True)
    instance = data_dir / "instance"
    instance.mkdir(exist_ok=True)
    os.environ["YANXIU_INSTANCE_PATH"] = str(instance)
    store = Store(data_dir)
    name = "s10_t100_y2"
    build_database(store, name, 10, 100, 2, instance)
    app = make_app(store.uri(name), instance, cache=False)
    return app, find_targets(app)


def requests(app, targets, page: str, n: int) -> None:
    who, url = targets.url(page)
    client = client_of(app, who)
    for _ in range(n):
        with app.app_context():
            response = client.get(url)
            assert response.status_code == 200, (page, response.status_code)


def profile(app, targets, page: str, n: int) -> str:
    requests(app, targets, page, 3)  # template compilation and first-use work are not the page's
    prof = cProfile.Profile()
    prof.enable()
    requests(app, targets, page, n)
    prof.disable()
    OUT.mkdir(parents=True, exist_ok=True)
    prof.dump_stats(OUT / f"{slug(page)}.prof")
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text)
    text.write(f"{page}: {n} requests, page cache off\n\n== by own time ==\n")
    stats.sort_stats("tottime").print_stats(25)
    text.write("\n== by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(35)
    body = text.getvalue().replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")
    (OUT / f"{slug(page)}.txt").write_text(body)
    return body


def flame(page: str, n: int, data_dir: Path) -> bool:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return False
    svg = OUT / f"{slug(page)}.svg"
    cmd = [spy, "record", "--rate", "250", "--output", str(svg), "--format", "flamegraph", "--",
           sys.executable, __file__, "--loop", page, "--n", str(n), "--data-dir", str(data_dir)]
    return subprocess.run(cmd, capture_output=True, text=True).returncode == 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--page", action="append", choices=PROFILED, help="a page (repeatable; default all)")
    ap.add_argument("--n", type=int, default=40, help="requests per profile")
    ap.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "yanxiu-profile"))
    ap.add_argument("--no-flame", action="store_true", help="skip the py-spy flame graphs")
    ap.add_argument("--loop", help=argparse.SUPPRESS)  # the child py-spy samples
    args = ap.parse_args(argv)
    app, targets = prepare(Path(args.data_dir))
    if args.loop:
        requests(app, targets, args.loop, args.n)
        return 0
    for page in args.page or PROFILED:
        body = profile(app, targets, page, args.n)
        print("\n".join(body.splitlines()[:40]), flush=True)
        if not args.no_flame:
            print(f"flame graph: {'written' if flame(page, args.n, Path(args.data_dir)) else 'py-spy missing'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
