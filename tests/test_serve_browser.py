"""``npgrad serve`` driven in a real browser: Debian's headless Chromium through Playwright.

- MNIST test digits are drawn onto ``#pad`` with pointer events (mouse strokes, one per run of
  ink in each pixel row); ``#prediction`` must equal what ``npgrad predict`` says for the same
  28x28 image in at least 9 of 10 cases, and the bars ``#p0``..``#p9`` must show percentages
  that add up to 100.
- Training is started from the page of a server that has no model; the curve must move, the
  stop button must stop it, and the page must then use the new model.
- Two tabs at once both get their predictions.

Screenshots of the page go to $NPGRAD_SCREENSHOTS when set (``NPGRAD_SCREENSHOTS=docs`` renews
docs/serve_draw.png and docs/serve_learn.png), else to the test's temporary folder.

Needs: apt-get install chromium; pip install playwright (never ``playwright install``: the
test launches /usr/bin/chromium).
"""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import DATA

CHROMIUM = "/usr/bin/chromium"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.environ.get("NPGRAD_SCREENSHOTS") or None  # None: the test's tmp_path

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need Playwright for Python: pip install playwright")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium",
                allow_module_level=True)
pytest.importorskip("PIL", reason="npgrad serve needs Pillow: pip install pillow")


def _env():
    return dict(os.environ, PYTHONPATH=ROOT)


def _data_dir():
    if DATA is None:
        pytest.skip("MNIST not found (see tests/conftest.py's requires_mnist)")
    return os.path.abspath(DATA)


class Served:
    """``npgrad serve`` in a subprocess on a free port."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "npgrad", "serve", *args, "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(), cwd=ROOT)
        line = self.proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if not match:
            self.close()
            raise AssertionError(f"npgrad serve did not start: {line}{self.proc.stdout.read()}")
        self.url = match.group(1)

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    done = subprocess.run(
        [sys.executable, "-m", "npgrad", "train", "--model", "mlp", "--epochs", "1",
         "--subset", "12000", "--no-progress", "--data-dir", _data_dir(), "--out", str(out)],
        capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return str(out / "model.safetensors")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True,
            viewport={"width": 1150, "height": 1300},
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                  "--disable-backgrounding-occluded-windows"])
        context.set_default_timeout(30_000)
        yield context
        context.close()


@pytest.fixture(scope="module")
def server(model_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("served") / "model.safetensors"
    s = Served(model_file, "--data-dir", _data_dir(), "--out", str(out))
    yield s
    s.close()


def _draw(page, image, threshold=0.4):
    """Stroke every run of ink of each pixel row of a 28x28 image onto #pad (10x scale)
    with the mouse, which the page receives as pointer events."""
    page.bring_to_front()  # a background tab gets no animation frames
    page.click("#clear")
    page.eval_on_selector("#brush", "el => { el.value = 10; }")
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / 28
    for y in range(28):
        ink = np.concatenate([[False], image[y] > threshold, [False]])
        edges = np.flatnonzero(np.diff(ink.astype(int)))
        for x0, x1 in zip(edges[::2], edges[1::2]):  # ink in columns x0 .. x1-1
            cy = box["y"] + (y + 0.5) * scale
            page.mouse.move(box["x"] + (x0 + 0.5) * scale, cy)
            page.mouse.down()
            page.mouse.move(box["x"] + (x1 - 0.5) * scale, cy)
            page.mouse.up()
    page.wait_for_function("document.body.dataset.drawn === document.body.dataset.predicted",
                           polling=50)


def _bars(page):
    texts = [page.text_content(f"#p{d}") for d in range(10)]
    return [float(t.strip().rstrip("%")) for t in texts]


def test_drawn_digits_get_the_prediction_of_npgrad_predict(server, model_file, browser,
                                                           tmp_path):
    from npgrad.train.data import mnist_arrays
    from PIL import Image

    images, labels = mnist_arrays(_data_dir(), train=False, flatten=False)
    images = images[:10]
    paths = []
    for i, img in enumerate(images):
        path = tmp_path / f"digit{i}.png"
        Image.fromarray(np.uint8(np.round(img * 255))).save(path)
        paths.append(str(path))
    done = subprocess.run([sys.executable, "-m", "npgrad", "predict", model_file, *paths],
                          capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    expected = [int(m) for m in re.findall(r"digit\d+\.png: (\d)", done.stdout)]
    assert len(expected) == 10, done.stdout

    page = browser.new_page()
    page.goto(server.url)
    page.wait_for_function("document.getElementById('model-name').textContent.includes('mlp')")
    got = []
    for img in images:
        _draw(page, img)
        got.append(int(page.text_content("#prediction")))
        bars = _bars(page)
        assert abs(sum(bars) - 100) < 1.0, bars
        assert int(np.argmax(bars)) == got[-1]
        assert page.locator("#layers .layer").count() == 5  # Linear, ReLU, Linear, ReLU, Linear
    agree = sum(a == b for a, b in zip(got, expected))
    print(f"page {got}, npgrad predict {expected}, labels {labels[:10].tolist()}")
    assert agree >= 9, f"page {got} vs npgrad predict {expected}"
    shots = DOCS or str(tmp_path)
    os.makedirs(shots, exist_ok=True)
    page.screenshot(path=os.path.join(shots, "serve_draw.png"), full_page=True)

    _draw(page, np.zeros((28, 28)))  # a blank pad: no prediction, empty bars
    assert page.text_content("#prediction") == "?"
    page.close()


def test_two_tabs_at_once(server, browser):
    from npgrad.train.data import mnist_arrays

    images, _ = mnist_arrays(_data_dir(), train=False, flatten=False)
    tabs = [browser.new_page() for _ in range(2)]
    for tab in tabs:
        tab.goto(server.url)
    _draw(tabs[0], images[0])
    _draw(tabs[1], images[1])
    first = tabs[0].text_content("#prediction")
    assert first != "?" and tabs[1].text_content("#prediction") != "?"
    assert tabs[0].text_content("#prediction") == first  # the other tab changed nothing
    for tab in tabs:
        tab.close()


def test_train_from_the_page_with_live_curves_and_stop(browser, tmp_path):
    out = tmp_path / "trained.safetensors"
    s = Served("--data-dir", _data_dir(), "--out", str(out))
    try:
        page = browser.new_page()
        page.goto(s.url)
        page.wait_for_selector("#no-model", state="visible")
        page.select_option("#train-model", "mlp-50")
        page.fill("#train-epochs", "8")
        page.fill("#train-subset", "60000")
        page.click("#train-start")
        page.wait_for_function("Number(document.getElementById('curves').dataset.points) >= 4")
        first = page.get_attribute("#loss-line", "points")
        page.wait_for_function(
            "Number(document.getElementById('curves').dataset.points) >= 8")
        later = page.get_attribute("#loss-line", "points")
        assert later != first  # the curve grew and moved (y is the loss)
        assert len(later.split()) > len(first.split())
        losses = [float(p.split(",")[1]) for p in later.split()]
        assert max(losses) > min(losses)
        page.wait_for_function(
            "Number(document.getElementById('curves').dataset.points) >= 30")
        page.click("#train-stop")
        page.wait_for_function(
            "document.getElementById('train-status').textContent.startsWith('stopped')")
        page.wait_for_selector("#no-model", state="hidden")
        assert "mlp-50" in page.text_content("#model-name")
        assert out.exists()  # the run was saved where --out said
        assert page.locator("#epochs li").count() < 8  # stopped before the end
        from npgrad.train.data import mnist_arrays

        images, _ = mnist_arrays(_data_dir(), train=False, flatten=False)
        _draw(page, images[0])  # the page now predicts with the model it trained
        assert page.text_content("#prediction") in list("0123456789")
        assert page.locator("#layers .layer").count() == 3  # Linear, ReLU, Linear
        page.screenshot(path=os.path.join(DOCS or str(tmp_path), "serve_learn.png"),
                        full_page=True)
        page.close()
    finally:
        s.close()
