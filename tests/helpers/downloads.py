"""A file server on 127.0.0.1 and a URL nobody answers: the two ends of every download test."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import types


@contextlib.contextmanager
def file_server():
    """A file server on 127.0.0.1 for download tests, stopped on leaving the `with` block.

    Yields a namespace with `url` (http://127.0.0.1:port), `routes` (a dict the test fills: path -> body,
    or path -> (body, announced length) to send fewer bytes than announced, a cut connection) and
    `requests` (the paths asked for, in order). A path not in `routes` is answered with 404.
    """
    routes, requests = {}, []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            if self.path not in routes:
                self.send_error(404)
                return
            answer = routes[self.path]
            body, length = answer if isinstance(answer, tuple) else (answer, len(answer))
            self.send_response(200)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval: shutdown() waits for the serving loop to notice, up to one interval.
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield types.SimpleNamespace(url=url, routes=routes, requests=requests)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def closed_port_url(path: str = "/") -> str:
    """A URL on a port nobody listens on: connecting is refused, as when offline."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
