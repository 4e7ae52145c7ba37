"""``bench/run.py`` reads what a served request costs the server's workers in CPU beside its
req/s (BENCHMARKS round 50: round 48 read 1 / req/s of the review queue as its cost, 7.1 ms,
where the worker's CPU a request is what the page costs in process plus ~0.5 ms; the rest was
the machine)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench import run as bench_run

SERVER = """
import http.server, sys
class Ok(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        sum(i * i for i in range(20000))  # some work a request
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args): pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

pytestmark = pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"),
                                reason="reads /proc (Linux)")


def test_the_childrens_cpu_is_read_and_grows_with_their_work():
    child = subprocess.Popen([sys.executable, "-c", "sum(i * i for i in range(3_000_000)); input()"],
                             stdin=subprocess.PIPE, text=True)
    try:
        first = bench_run.workers_cpu_seconds(os.getpid())
        assert first is not None
        while (bench_run.workers_cpu_seconds(os.getpid()) or 0) <= first and child.poll() is None:
            pass  # the child is working
        assert (bench_run.workers_cpu_seconds(os.getpid()) or 0) > first
    finally:
        child.communicate("\n")
    assert bench_run.workers_cpu_seconds(2**22 + 7) is None  # no such process: nothing read


def test_each_run_reads_the_workers_cpu_a_request():
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        host = f"127.0.0.1:{port}"
        targets = bench_run.Targets()
        rates = bench_run.http_rates(host, targets, 1, 2, ("bare",), 1, master=os.getpid())
        bare = rates["bare"]
        assert bare.requests > 0 and bare.errors == 0
        assert bare.cpu_ms is not None and bare.cpu_ms > 0
        # without the server's master process nothing is read
        assert bench_run.http_rates(host, targets, 1, 2, ("bare",), 1)["bare"].cpu_ms is None
    finally:
        server.terminate()
        server.wait()
