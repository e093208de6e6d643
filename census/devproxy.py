"""A tiny round-robin reverse proxy, for trying several app servers on one machine.

``python -m census.devproxy --port 8080 http://127.0.0.1:5001 http://127.0.0.1:5002``
sends each request to the next server in turn, as a load balancer without sticky
sessions would, so that a login made through one server is used on the other at the next
request. It sets ``X-Forwarded-For`` and ``X-Forwarded-Proto`` as nginx does (run the
servers with ``CENSUS_BEHIND_PROXY=true``) and names the server that answered in
``X-Census-Upstream``. It is for ``make cluster`` and the tests, not for production:
put nginx (README, "Running several servers") in front of real servers.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
}
CHUNK = 64 * 1024
TIMEOUT = 120.0


class RoundRobin:
    """The upstream servers, each request to the next."""

    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = [urllib.parse.urlsplit(u) for u in upstreams]
        self._next = itertools.cycle(range(len(self.upstreams)))
        self._lock = threading.Lock()

    def pick(self) -> urllib.parse.SplitResult:
        with self._lock:
            return self.upstreams[next(self._next)]


def handler(pool: RoundRobin) -> type[BaseHTTPRequestHandler]:
    """A request handler that forwards every method to the next upstream."""

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: the answer ends with it

        def _forward(self) -> None:
            upstream = pool.pick()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["X-Forwarded-For"] = self.client_address[0]
            headers["X-Forwarded-Proto"] = "http"
            headers["Host"] = self.headers.get("Host", upstream.netloc)
            host = upstream.hostname or "127.0.0.1"
            conn = http.client.HTTPConnection(host, upstream.port, timeout=TIMEOUT)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                self.send_response_only(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("X-Census-Upstream", upstream.netloc)
                self.send_header("Connection", "close")
                self.end_headers()
                while chunk := answer.read(CHUNK):
                    self.wfile.write(chunk)
            except OSError as exc:
                self.send_error(502, f"upstream {upstream.netloc}: {exc}")
            finally:
                conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # quiet: the servers log the requests

    return Forward


def serve(port: int, upstreams: list[str], host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A started proxy (in a thread of its own); ``shutdown()`` stops it."""
    server = ThreadingHTTPServer((host, port), handler(RoundRobin(upstreams)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="census-devproxy", daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("upstreams", nargs="+", help="http://host:port of each app server")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), handler(RoundRobin(args.upstreams)))
    server.daemon_threads = True
    print(f"proxy http://{args.host}:{args.port} -> {' '.join(args.upstreams)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
