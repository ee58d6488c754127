"""The server behind ``npgrad serve``: the standard library's ``ThreadingHTTPServer``, a
thread per connection, so several tabs (each with a live event stream) work at once.

Why no framework: the app has five JSON endpoints, one event stream and a few static
files; ``http.server`` does all of it with nothing to install, and a framework would add a
dependency for routing we write in a dozen lines.

    GET  /                  the page (static/index.html); /static/NAME its JS and CSS
    GET  /api/status        {"model": name or null, "models": [...], "training": bool}
    POST /api/predict       {"width", "height", "pixels": base64 grayscale bytes} ->
                            {"digit", "probs", "input", "layers", "saliency"}
    POST /api/train         {"model", "epochs", "subset", "batch_size", "lr"} starts a run
    POST /api/stop          asks the run to stop after the current batch
    GET  /api/events        server-sent events of the runs (batch, epoch, done, error)

Every request is checked: a body that is missing its length, too large, not JSON, or has
a wrong field gets a 4xx with a JSON ``{"error": message}``; an unexpected failure is
logged on the server and answered with a plain 500 without the traceback.
"""
import base64
import binascii
import json
import os
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import numpy as np

__all__ = ["App", "make_server"]

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
         ".txt": "text/plain; charset=utf-8"}
MAX_BODY = 2 * 1024 * 1024  # bytes: a 512x512 drawing in base64 is ~350 kB
MAX_SIDE = 1024  # pixels, per side of a drawing


class HTTPError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class App:
    """The state the handlers share: the model in use and the training runs."""

    def __init__(self, model_path=None, data_dir=None, save_to=None):
        from ..train.image import ImageError, _pillow
        from ..train.zoo import MODELS

        try:
            _pillow()  # to_mnist scales the drawing with it: say so now, not as a blank pad
        except ImageError as exc:
            raise ImportError(f"npgrad serve: {exc}") from None

        self.models = list(MODELS)
        self.data_dir, self.save_to = data_dir, save_to
        self.lock = threading.Lock()
        self.model = self.name = None
        self.normalize = (0.1307, 0.3081)
        self.job = None
        self.all_events = _events()
        if model_path is not None:
            from ..train.checkpoint import load_checkpoint

            model, name, normalize = load_checkpoint(model_path)
            self.use_model(model, name, normalize)

    def use_model(self, model, name, normalize=None):
        model.eval()
        model.requires_grad_(False)  # the saliency needs only the input's gradient
        with self.lock:
            self.model, self.name = model, name
            if normalize is not None:
                self.normalize = tuple(normalize)

    def status(self):
        with self.lock:
            return {"model": self.name, "models": self.models,
                    "training": bool(self.job is not None and self.job.running),
                    "events": len(self.all_events)}

    # ------------------------------------------------------------------ endpoints
    def predict(self, body):
        from .inference import ImageError, analyse, preprocess

        gray = _drawing(body)
        with self.lock:
            model, normalize = self.model, self.normalize
        if model is None:
            raise HTTPError(409, "no model yet: train one in the Learn panel first")
        try:
            image = preprocess(gray)
        except ImageError:
            return {"empty": True}
        return analyse(model, normalize, image)

    def train(self, body):
        from .training import TrainingJob, TrainSettings

        try:
            settings = TrainSettings(body, self.models)
        except ValueError as exc:
            raise HTTPError(400, f"train: {exc}") from None
        with self.lock:
            if self.job is not None and self.job.running:
                raise HTTPError(409, "a training run is already going; stop it first")
            self.job = TrainingJob(settings, self.data_dir, self.all_events, self._trained)
            self.job.start()
        return {"started": settings.as_dict()}

    def stop(self, body):
        with self.lock:
            job = self.job
        if job is None or not job.running:
            return {"stopping": False}
        job.stop_requested.set()
        return {"stopping": True}

    def _trained(self, model, name):
        self.use_model(model, name)
        if self.save_to is None:
            return None
        from ..train.checkpoint import save_checkpoint

        folder = os.path.dirname(self.save_to)
        if folder:
            os.makedirs(folder, exist_ok=True)
        return save_checkpoint(model, name, self.save_to, self.normalize)


def _events():
    from .training import Events

    return Events()


def _drawing(body):
    """The request's drawing as an (H, W) float32 array in [0, 1]; 400 when malformed."""
    if set(body) != {"width", "height", "pixels"}:
        raise HTTPError(400, "predict: the body must be {\"width\", \"height\", \"pixels\"}, "
                             f"got fields {sorted(body)}")
    w, h = body["width"], body["height"]
    for name, v in (("width", w), ("height", h)):
        if isinstance(v, bool) or not isinstance(v, int) or not 8 <= v <= MAX_SIDE:
            raise HTTPError(400, f"predict: {name} must be a whole number from 8 to {MAX_SIDE}, "
                                 f"got {v!r}")
    if not isinstance(body["pixels"], str):
        raise HTTPError(400, "predict: pixels must be a base64 string")
    try:
        raw = base64.b64decode(body["pixels"], validate=True)
    except (binascii.Error, ValueError):
        raise HTTPError(400, "predict: pixels is not valid base64") from None
    if len(raw) != w * h:
        raise HTTPError(400, f"predict: pixels holds {len(raw)} bytes, expected width*height "
                             f"= {w}*{h} = {w * h}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(h, w).astype(np.float32) / 255.0


class Handler(BaseHTTPRequestHandler):
    server_version = "npgrad-serve"
    protocol_version = "HTTP/1.1"
    POST_ROUTES = {"/api/predict": "predict", "/api/train": "train", "/api/stop": "stop"}
    timeout = 60  # seconds a client may stall mid-request before its socket is closed

    @property
    def app(self):
        return self.server.app

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)

    # ------------------------------------------------------------------ plumbing
    def _reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _guard(self, work):
        try:
            work()
        except HTTPError as exc:
            self.close_connection = True  # a body we did not read must not pass as a request
            self._reply(exc.status, {"error": str(exc)})
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception:  # a bug: log it here, never send the traceback
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            try:
                self._reply(500, {"error": "internal error (see the server's log)"})
            except OSError:
                pass

    def _body(self):
        length = self.headers.get("Content-Length")
        if length is None:
            raise HTTPError(411, "the request needs a Content-Length header")
        try:
            length = int(length)
        except ValueError:
            raise HTTPError(400, f"bad Content-Length {length!r}") from None
        if length < 0:
            raise HTTPError(400, f"bad Content-Length {length}")
        if length > MAX_BODY:
            self.close_connection = True  # do not read a huge body
            raise HTTPError(413, f"body of {length} bytes is over the limit of {MAX_BODY}")
        raw = self.rfile.read(length)
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise HTTPError(400, f"the body is not valid JSON ({exc})") from None
        if not isinstance(body, dict):
            raise HTTPError(400, f"the body must be a JSON object, got {type(body).__name__}")
        return body

    # ------------------------------------------------------------------ methods
    def do_GET(self):
        self._guard(self._get)

    def do_POST(self):
        self._guard(self._post)

    def do_PUT(self):
        self._guard(self._wrong_method)

    do_DELETE = do_PATCH = do_PUT

    def _wrong_method(self):
        raise HTTPError(405, f"{self.command} is not allowed on {urlparse(self.path).path}")

    def _get(self):
        path = urlparse(self.path).path
        if path in ("/", "/index.html"):
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        if path == "/api/status":
            return self._reply(200, self.app.status())
        if path == "/api/events":
            return self._stream()
        if path in self.POST_ROUTES:
            raise HTTPError(405, f"use POST for {path}")
        raise HTTPError(404, f"no such page: {path}")

    def _post(self):
        path = urlparse(self.path).path
        if path not in self.POST_ROUTES:
            if path == "/api/status" or path == "/api/events" or path == "/":
                raise HTTPError(405, f"use GET for {path}")
            raise HTTPError(404, f"no such endpoint: {path}")
        body = self._body()
        self._reply(200, getattr(self.app, self.POST_ROUTES[path])(body))

    def _static(self, name):
        files = os.listdir(STATIC)  # only the files that are there: no path tricks
        if name not in files:
            raise HTTPError(404, f"no such file: {name}")
        with open(os.path.join(STATIC, name), "rb") as f:
            data = f.read()
        self.send_response(200)
        self.send_header("Content-Type", TYPES.get(os.path.splitext(name)[1], "application/octet-stream"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self):
        """Server-sent events: every event of every run, from Last-Event-ID on."""
        events = self.app.all_events
        try:
            index = int(self.headers.get("Last-Event-ID", "-1")) + 1
        except ValueError:
            index = 0
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self.wfile.write(b"retry: 1000\n\n")
        self.wfile.flush()
        while not self.server.closing.is_set():
            new = events.since(index, timeout=10)
            if not new:
                self.wfile.write(b": keep-alive\n\n")
            for event in new:
                self.wfile.write(f"id: {event['id']}\ndata: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
            index += len(new)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, app, verbose=False):
        super().__init__(address, Handler)
        self.app, self.verbose = app, verbose
        self.closing = threading.Event()

    def shutdown(self):
        self.closing.set()
        self.app.all_events.close()
        super().shutdown()


def make_server(app, host="127.0.0.1", port=8000, verbose=False):
    """A ready ``Server`` (not yet serving): ``server.serve_forever()`` runs it;
    ``port=0`` picks a free port (``server.server_address[1]``)."""
    return Server((host, port), app, verbose=verbose)
