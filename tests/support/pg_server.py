"""Start a private PostgreSQL server, run a command against it, stop it.

Usage: ``python tests/support/pg_server.py [--keep-data DIR] -- CMD ARGS…``. The server lives in a
throwaway data directory on a free local port; ``YANXIU_TEST_DATABASE_URL`` is set for the
command (the tests read it; ``DATABASE_URL`` is left as it was). Needs ``initdb``/``pg_ctl`` (Debian's
``postgresql`` package); when run as root it runs the server as the ``postgres`` user.

``--keep-data DIR``: the server's files live in DIR and stay there after the command; a later
run with the same DIR starts the same server with its databases (``make bench-load`` keeps a
generated 1,000-school database this way instead of building it again).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile


def find_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    sys.exit(f"{name} not found: install PostgreSQL (apt-get install postgresql)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    args = sys.argv[1:]
    keep: str | None = None
    if args[:1] == ["--keep-data"]:
        if len(args) < 2:
            sys.exit("usage: pg_server.py [--keep-data DIR] -- command …")
        keep, args = os.path.abspath(args[1]), args[2:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        sys.exit("usage: pg_server.py [--keep-data DIR] -- command …")
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if keep:
        os.makedirs(keep, exist_ok=True)
        tmp = keep
    else:
        tmp = tempfile.mkdtemp(prefix="yanxiu-pg-")
    data = os.path.join(tmp, "data")
    reuse = os.path.exists(os.path.join(data, "PG_VERSION"))
    port = free_port()
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:
        pw = pwd.getpwnam("postgres")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    if reuse:
        print(f"PostgreSQL data kept in {data}: reused", flush=True)
    else:
        subprocess.run([*prefix, initdb, "-D", data, "-U", "yanxiu", "--auth=trust", "-E", "UTF8", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL, env=env)
    opts = (f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200")
    subprocess.run([*prefix, pg_ctl, "-D", data, "-o", opts, "-l", os.path.join(tmp, "log"), "-w", "start"],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    try:
        if not reuse:
            subprocess.run([find_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "yanxiu", "yanxiu_test"],
                           check=True)
        url = f"postgresql://yanxiu@127.0.0.1:{port}/yanxiu_test"
        print(f"PostgreSQL test server on 127.0.0.1:{port}", flush=True)
        child_env = {**os.environ, "YANXIU_TEST_DATABASE_URL": url}
        return subprocess.run(args, env=child_env).returncode
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", data, "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL)
        if keep:
            print(f"PostgreSQL data kept in {data}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
