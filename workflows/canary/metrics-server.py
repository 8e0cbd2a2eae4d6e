#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stand-in metrics service for the canary workflow, on 127.0.0.1 only.

GET  /health       200 "healthy" or 503 "unhealthy", by mode
GET  /metrics      {"error_rate": ..., "latency_p99_ms": ...}, by mode
GET  /mode         the current mode
POST /mode/NAME    switch mode: healthy, unhealthy, degrading, slow
GET  /hits         how many /health and /metrics requests were served

Modes: healthy (all good), unhealthy (health 503, high error rate),
degrading (the first --healthy-checks health checks pass, later ones fail),
slow (healthy, but p99 latency over the limit).

Usage: metrics-server.py [--port N] [--port-file F] [--mode M]
       [--healthy-checks N] [--delay SECONDS]
--port 0 (the default) picks a free port and writes it to --port-file.
"""
import argparse
import http.server
import json
import sys
import threading

METRICS = {
    "healthy": {"error_rate": 0.002, "latency_p99_ms": 120},
    "degrading": {"error_rate": 0.002, "latency_p99_ms": 130},
    "unhealthy": {"error_rate": 0.21, "latency_p99_ms": 950},
    "slow": {"error_rate": 0.003, "latency_p99_ms": 1500},
}


class State:
    def __init__(self, mode, healthy_checks, delay):
        self.mode = mode
        self.healthy_checks = healthy_checks
        self.delay = delay
        self.health_hits = 0
        self.metrics_hits = 0
        self.lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "canary-metrics/1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("metrics-server: " + (fmt % args) + "\n")

    def reply(self, code, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        st = self.server.state
        if st.delay:
            threading.Event().wait(st.delay)
        with st.lock:
            if self.path == "/health":
                st.health_hits += 1
                ok = st.mode in ("healthy", "slow") or (
                    st.mode == "degrading" and st.health_hits <= st.healthy_checks)
                self.reply(200 if ok else 503, "healthy\n" if ok else "unhealthy\n")
            elif self.path == "/metrics":
                st.metrics_hits += 1
                self.reply(200, json.dumps(METRICS[st.mode]) + "\n", "application/json")
            elif self.path == "/mode":
                self.reply(200, st.mode + "\n")
            elif self.path == "/hits":
                self.reply(200, json.dumps({"health": st.health_hits,
                                            "metrics": st.metrics_hits}) + "\n",
                           "application/json")
            else:
                self.reply(404, "not found\n")

    def do_POST(self):
        st = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        with st.lock:
            if self.path.startswith("/mode/") and self.path[6:] in METRICS:
                st.mode = self.path[6:]
                st.health_hits = 0
                self.reply(200, st.mode + "\n")
            elif self.path == "/echo":
                echo = {"method": "POST", "body": body,
                        "content_type": self.headers.get("Content-Type", ""),
                        "x_flowzap": self.headers.get("X-Flowzap", "")}
                self.reply(200, json.dumps(echo) + "\n", "application/json")
            else:
                self.reply(404, "not found\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--mode", choices=sorted(METRICS), default="healthy")
    ap.add_argument("--healthy-checks", type=int, default=1)
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.state = State(a.mode, a.healthy_checks, a.delay)
    srv.verbose = a.verbose
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        import os
        os.replace(tmp, a.port_file)
    sys.stderr.write("metrics-server: http://127.0.0.1:%d (mode %s)\n" % (port, a.mode))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
