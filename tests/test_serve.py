"""``npgrad serve`` over HTTP, without a browser: the answers of every endpoint, checked
against PyTorch (probabilities, activations and the saliency map of the same weights), and
the safe-input rules: a bad request gets a 4xx with a message, never a traceback."""
import base64
import http.client
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

import npgrad
from conftest import DATA, requires_mnist

pytest.importorskip("PIL", reason="npgrad serve scales drawings with Pillow: pip install pillow")

from npgrad.serve import App, make_server  # noqa: E402
from npgrad.train.image import to_mnist  # noqa: E402


def _drawing(seed=0, size=280):
    """A white stroke figure on black, like the page's canvas."""
    rng = np.random.default_rng(seed)
    img = np.zeros((size, size), np.uint8)
    top, left = rng.integers(20, 80, size=2)
    img[top: top + 150, left + 60: left + 85] = 255
    img[top: top + 25, left: left + 120] = 255
    return img


def _body(img):
    return {"width": img.shape[1], "height": img.shape[0],
            "pixels": base64.b64encode(img.tobytes()).decode()}


class Client:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, raw=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        conn.request(method, path, body=data, headers=headers or {})
        res = conn.getresponse()
        text = res.read().decode()
        conn.close()
        try:
            return res.status, json.loads(text)
        except ValueError:
            return res.status, text


def _start(app):
    server = make_server(app, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, Client(server.server_address[1])


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    from npgrad.train.checkpoint import save_checkpoint
    from npgrad.train.zoo import build

    npgrad.manual_seed(0)
    path = tmp_path_factory.mktemp("serve") / "model.safetensors"
    save_checkpoint(build("mlp"), "mlp", str(path))
    return str(path)


@pytest.fixture(scope="module")
def served(model_path):
    server, client = _start(App(model_path))
    yield client
    server.shutdown()
    server.server_close()


def _torch_twin(model_path):
    from npgrad.models import mlp
    from npgrad.train.checkpoint import load_checkpoint

    model, _, _ = load_checkpoint(model_path)
    twin = mlp(torch.nn)
    twin.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()})
    return twin.eval()


def test_predict_matches_torch_probabilities_activations_and_saliency(served, model_path):
    img = _drawing()
    status, out = served.request("POST", "/api/predict", _body(img))
    assert status == 200, out
    image = to_mnist(img.astype(np.float32) / 255)  # npgrad predict's preprocessing
    np.testing.assert_allclose(np.reshape(out["input"], (28, 28)), image, atol=1e-4)

    twin = _torch_twin(model_path)
    x = ((torch.from_numpy(image) - 0.1307) / 0.3081)[None, None].requires_grad_()
    acts, h = [], x
    for module in twin:
        h = module(h)
        if not isinstance(module, torch.nn.Flatten):
            acts.append(h[0].detach().numpy())
    probs = torch.softmax(h[0].double(), 0).detach().numpy()
    np.testing.assert_allclose(out["probs"], probs, atol=2e-6)
    assert out["digit"] == int(probs.argmax())
    assert [layer["name"] for layer in out["layers"]] == [
        "1: Linear", "2: ReLU", "3: Linear", "4: ReLU", "5: Linear"]
    for layer, act in zip(out["layers"], acts):
        np.testing.assert_allclose(layer["values"], act[:256], atol=1e-4, rtol=1e-4)
        assert layer["total"] == act.size
    h[0, out["digit"]].backward()
    sal = x.grad[0, 0].abs().numpy()
    np.testing.assert_allclose(np.reshape(out["saliency"], (28, 28)), sal / sal.max(), atol=3e-4)


def test_blank_drawing_is_empty_not_an_error(served):
    status, out = served.request("POST", "/api/predict", _body(np.zeros((100, 100), np.uint8)))
    assert (status, out) == (200, {"empty": True})


@pytest.mark.parametrize("raw, message", [
    (b"not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"width": 280}', "the body must be"),
    (b'{"width": 280, "height": 280, "pixels": "AAAA"}', "expected width*height"),
    (b'{"width": 280, "height": 280, "pixels": "$$$"}', "not valid base64"),
    (b'{"width": 5000, "height": 280, "pixels": ""}', "width must be a whole number"),
    (b'{"width": 28.5, "height": 280, "pixels": ""}', "width must be a whole number"),
    (b'{"width": true, "height": 280, "pixels": ""}', "width must be a whole number"),
    (b'{"width": 280, "height": 280, "pixels": 7}', "pixels must be a base64 string"),
    (b"\xff\xfe", "not valid JSON"),
])
def test_malformed_predict_gets_400_with_a_message(served, raw, message):
    status, out = served.request("POST", "/api/predict", raw=raw)
    assert status == 400
    assert message in out["error"]


def test_oversized_missing_length_wrong_path_and_method(served):
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    conn.putrequest("POST", "/api/predict")
    conn.putheader("Content-Length", str(50 * 1024 * 1024))
    conn.endheaders()  # the body is never sent: the server must answer from the header alone
    res = conn.getresponse()
    assert res.status == 413 and "over the limit" in json.loads(res.read())["error"]
    conn.close()

    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    conn.putrequest("POST", "/api/predict")
    conn.endheaders()
    res = conn.getresponse()
    assert res.status == 411 and "Content-Length" in json.loads(res.read())["error"]
    conn.close()

    assert served.request("GET", "/no/such/thing")[0] == 404
    assert served.request("GET", "/static/../app.py")[0] == 404
    assert served.request("GET", "/api/predict")[0] == 405
    assert served.request("POST", "/api/status", {})[0] == 405
    assert served.request("DELETE", "/")[0] == 405


@pytest.mark.parametrize("body, message", [
    ({"model": "resnet"}, "model must be one of"),
    ({"epochs": 0}, "epochs must be"),
    ({"epochs": "3"}, "epochs must be"),
    ({"subset": 10}, "subset must be"),
    ({"lr": -1}, "lr must be"),
    ({"colour": "red"}, "unknown field"),
])
def test_bad_training_settings_get_400(served, body, message):
    status, out = served.request("POST", "/api/train", body)
    assert status == 400 and message in out["error"]


def test_a_bug_is_a_plain_500_without_traceback(served, monkeypatch):
    def broken(self, body):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(App, "predict", broken)
    status, out = served.request("POST", "/api/predict", _body(_drawing()))
    assert status == 500
    assert "secret" not in json.dumps(out) and "Traceback" not in json.dumps(out)


def test_static_page_and_status(served):
    status, page = served.request("GET", "/")
    assert status == 200
    for needle in ('id="pad"', 'id="prediction"', 'id="clear"', "/static/app.js"):
        assert needle in page
    assert "http://" not in page and "https://" not in page  # nothing from the network
    status, js = served.request("GET", "/static/app.js")
    assert status == 200 and "EventSource" in js and "http" not in js.replace("/api", "")
    status, st = served.request("GET", "/api/status")
    assert st["model"] == "mlp" and "mlp-50" in st["models"] and st["training"] is False


def test_many_requests_at_once_agree(served):
    body = _body(_drawing(seed=3))
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: served.request("POST", "/api/predict", body), range(16)))
    assert all(status == 200 for status, _ in answers)
    assert len({json.dumps(out["probs"]) for _, out in answers}) == 1


def test_binds_to_loopback_by_default():
    from npgrad import cli

    server = make_server(App(), port=0)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()
    args = cli.build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1" and args.model_file is None


def test_predict_without_a_model_is_409():
    server, client = _start(App())
    try:
        status, out = client.request("POST", "/api/predict", _body(_drawing()))
        assert status == 409 and "train one" in out["error"]
        assert client.request("GET", "/api/status")[1]["model"] is None
    finally:
        server.shutdown()
        server.server_close()


def _read_events(port, until, timeout=60):
    """Server-sent events from /api/events until one has type ``until``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", "/api/events")
    res = conn.getresponse()
    assert res.status == 200 and res.getheader("Content-Type") == "text/event-stream"
    events = []
    while True:
        line = res.fp.readline().decode()
        assert line, f"stream ended before a {until!r} event: {events}"
        if line.startswith("data: "):
            events.append(json.loads(line[6:]))
            if events[-1]["type"] == until:
                conn.close()
                return events


@requires_mnist
def test_train_over_http_streams_events_and_swaps_the_model(tmp_path):
    out = tmp_path / "m.safetensors"
    server, client = _start(App(data_dir=DATA, save_to=str(out)))
    try:
        status, started = client.request("POST", "/api/train",
                                         {"model": "mlp-50", "epochs": 2, "subset": 30000})
        assert status == 200 and started["started"]["epochs"] == 2
        status, busy = client.request("POST", "/api/train", {"model": "mlp-50"})
        assert status == 409 and "already" in busy["error"]
        events = _read_events(client.port, "batch")
        assert client.request("POST", "/api/stop", {})[1] == {"stopping": True}
        events = _read_events(client.port, "done")  # the stream replays from the start
        kinds = [e["type"] for e in events]
        assert kinds[0] == "start" and kinds.count("epoch") == 1 and kinds[-1] == "done"
        batches = [e for e in events if e["type"] == "batch"]
        assert all(np.isfinite(e["loss"]) and 0 <= e["accuracy"] <= 1 for e in batches)
        assert events[-1]["stopped"] is True and events[-1]["saved"] == str(out)
        assert out.exists()
        assert client.request("GET", "/api/status")[1]["model"] == "mlp-50"
        assert client.request("POST", "/api/predict", _body(_drawing()))[0] == 200
    finally:
        server.shutdown()
        server.server_close()


def test_a_cnn_shows_feature_maps(tmp_path):
    from npgrad.train.checkpoint import save_checkpoint
    from npgrad.train.zoo import build

    npgrad.manual_seed(1)
    path = tmp_path / "cnn.safetensors"
    save_checkpoint(build("cnn"), "cnn", str(path))
    server, client = _start(App(str(path)))
    try:
        status, out = client.request("POST", "/api/predict", _body(_drawing()))
    finally:
        server.shutdown()
        server.server_close()
    assert status == 200
    maps = [layer for layer in out["layers"] if layer["kind"] == "maps"]
    assert maps and all(len(m["values"]) <= 8 for m in maps)
    first = maps[0]
    assert len(first["values"][0]) == first["h"] * first["w"] == first["shape"][2] * first["shape"][3]
    assert out["layers"][-1]["shape"] == [1, 10] and abs(sum(out["probs"]) - 1) < 1e-5


# ---------------------------------------------------------------------- the command
def _cli(*args, timeout=60):
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.run([sys.executable, "-m", "npgrad", *args], capture_output=True,
                          text=True, timeout=timeout, env=dict(os.environ, PYTHONPATH=root))


def test_serve_command_errors_exit_2(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model")
    done = _cli("serve", str(bad), "--port", "0")
    assert done.returncode == 2 and "cannot read model file" in done.stderr
    done = _cli("serve", str(tmp_path / "missing.safetensors"))
    assert done.returncode == 2 and "model file not found" in done.stderr
    done = _cli("serve", "--port", "70000")
    assert done.returncode == 2 and "at most 65535" in done.stderr
    busy = make_server(App(), port=0)
    try:
        done = _cli("serve", "--port", str(busy.server_address[1]))
        assert done.returncode == 2 and "cannot listen" in done.stderr
    finally:
        busy.server_close()
    done = _cli("serve", "--help")
    assert done.returncode == 0 and "127.0.0.1" in done.stdout


def test_serve_command_serves(model_path):
    import os
    import re
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, "-m", "npgrad", "serve", model_path, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, PYTHONPATH=root))
    try:
        line = proc.stdout.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        assert "model: mlp" in line
        status, st = Client(port).request("GET", "/api/status")
        assert status == 200 and st["model"] == "mlp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_error_closes_the_connection_so_an_unread_body_is_never_a_request(served):
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    smuggled = b"GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n"
    conn.request("POST", "/api/nowhere", body=smuggled)
    res = conn.getresponse()
    assert res.status == 404 and res.getheader("Connection") == "close"
    res.read()
    conn.close()


def test_training_without_mnist_reports_an_error_event(tmp_path):
    server, client = _start(App(data_dir=str(tmp_path)))
    try:
        status, _ = client.request("POST", "/api/train", {"model": "mlp-50", "subset": 100})
        assert status == 200
        events = _read_events(client.port, "error")
        assert "MNIST not found" in events[-1]["message"] and str(tmp_path) in events[-1]["message"]
        assert client.request("GET", "/api/status")[1]["model"] is None
    finally:
        server.shutdown()
        server.server_close()


def test_without_pillow_the_app_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="Pillow"):
        App()
