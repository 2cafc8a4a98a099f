"""Input builders shared by the tests: seeded, float64 where gradients are checked, tie-free where it matters.

Imported as `from helpers import ...`: pytest puts this folder on sys.path (its default "prepend"
import mode), so no conftest.py is needed.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import types

import numpy as np

from tinyconv import Tensor


def leaf(values, dtype=np.float64) -> Tensor:
    """A leaf Tensor of the given values (float64 unless told) that requires grad."""
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def image(values) -> Tensor:
    """One image with one channel, (1, 1, H, W), from an H x W list: a float64 leaf that requires grad."""
    return Tensor(np.array(values, dtype=np.float64)[None, None], requires_grad=True)


def random_array(*shape: int, seed: int = 0, dtype=np.float64) -> np.ndarray:
    """Standard normal samples of the given shape, from a generator seeded for this test only."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def random_tensor(*shape: int, seed: int = 0, dtype=np.float64, requires_grad: bool = True) -> Tensor:
    """A Tensor of standard normal samples (float64 and requiring grad unless told otherwise)."""
    return Tensor(random_array(*shape, seed=seed, dtype=dtype), requires_grad=requires_grad)


def distinct_tensor(*shape: int, seed: int = 0, requires_grad: bool = True) -> Tensor:
    """A float64 Tensor whose values are a random permutation of distinct numbers 0.1 apart.

    Max pooling and max reductions have a kink wherever two inputs tie; a finite-difference nudge of
    1e-6 cannot make two values 0.1 apart swap places, so gradient checks stay away from the kinks.
    """
    size = int(np.prod(shape))
    values = np.random.default_rng(seed).permutation(size) * 0.1 - 0.05 * size
    return Tensor(values.reshape(shape).astype(np.float64), requires_grad=requires_grad)


def away_from_zero_tensor(*shape: int, seed: int = 0, requires_grad: bool = True) -> Tensor:
    """A float64 Tensor with |x| >= 0.1 everywhere: ReLU-like kinks at 0 are out of a nudge's reach."""
    rng = np.random.default_rng(seed)
    magnitude = rng.uniform(0.1, 2.0, size=shape)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return Tensor(magnitude * sign, requires_grad=requires_grad)


def torch_lenet5(torch):
    """The same LeNet-5 as tinyconv.models.LeNet5, written with torch.nn (torch passed in: it is optional)."""
    nn = torch.nn

    class TorchLeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 6, kernel_size=5, padding=2),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(6, 16, kernel_size=5),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )
            self.classifier = nn.Sequential(
                nn.Linear(16 * 5 * 5, 120),
                nn.ReLU(),
                nn.Linear(120, 84),
                nn.ReLU(),
                nn.Linear(84, 10),
            )

        def forward(self, x):
            return self.classifier(torch.flatten(self.features(x), 1))

    return TorchLeNet5()


# ------------------------------------------------------------------------- downloads
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
