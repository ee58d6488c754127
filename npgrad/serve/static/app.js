// npgrad serve: the page. Plain JavaScript, no libraries: canvas for the drawing and the
// small pictures, SVG for the curves, fetch() for predictions, EventSource for training.
"use strict";

const $ = (id) => document.getElementById(id);
const pad = $("pad");
const ctx = pad.getContext("2d");

// ------------------------------------------------------------------ the probability bars
const bars = [];
for (let d = 0; d < 10; d++) {
  const label = document.createElement("span");
  label.textContent = d;
  const bar = document.createElement("div");
  bar.id = "p" + d;
  bar.className = "bar";
  bar.style.width = "0%";
  bar.textContent = "0.0%";
  $("probs").append(label, bar);
  bars.push(bar);
}

// ------------------------------------------------------------------ drawing
function clearPad() {
  ctx.fillStyle = "black";
  ctx.fillRect(0, 0, pad.width, pad.height);
}
clearPad();

let drawing = false;
let last = null;
let version = 0; // bumps on every change of the drawing

function point(ev) {
  const r = pad.getBoundingClientRect();
  return [(ev.clientX - r.left) * pad.width / r.width, (ev.clientY - r.top) * pad.height / r.height];
}

function stroke(from, to) {
  ctx.strokeStyle = "white";
  ctx.lineWidth = Number($("brush").value);
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(from[0], from[1]);
  ctx.lineTo(to[0], to[1]);
  ctx.stroke();
  changed();
}

pad.addEventListener("pointerdown", (ev) => {
  ev.preventDefault();
  pad.setPointerCapture(ev.pointerId);
  drawing = true;
  last = point(ev);
  stroke(last, last);
});
pad.addEventListener("pointermove", (ev) => {
  if (!drawing) return;
  const p = point(ev);
  stroke(last, p);
  last = p;
});
for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
  pad.addEventListener(type, () => { drawing = false; last = null; });
}
$("clear").addEventListener("click", () => {
  clearPad();
  showEmpty();
  version++;
  document.body.dataset.drawn = version;
  document.body.dataset.predicted = version;
});

// ------------------------------------------------------------------ predicting as you draw
let inFlight = false;
let pending = false;

function changed() {
  version++;
  document.body.dataset.drawn = version;
  if (inFlight) { pending = true; return; }
  predict();
}

function pixelsBase64() {
  const rgba = ctx.getImageData(0, 0, pad.width, pad.height).data;
  const gray = new Uint8Array(pad.width * pad.height);
  for (let i = 0; i < gray.length; i++) gray[i] = rgba[4 * i];
  let text = "";
  for (let i = 0; i < gray.length; i += 8192) {
    text += String.fromCharCode.apply(null, gray.subarray(i, i + 8192));
  }
  return btoa(text);
}

async function predict() {
  inFlight = true;
  pending = false;
  const asked = version;
  try {
    const res = await fetch("/api/predict", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ width: pad.width, height: pad.height, pixels: pixelsBase64() }),
    });
    const out = await res.json();
    if (!res.ok) {
      $("draw-message").textContent = out.error || ("error " + res.status);
      showEmpty();
    } else if (out.empty) {
      showEmpty();
    } else {
      show(out);
    }
  } catch (err) {
    $("draw-message").textContent = "the server did not answer: " + err;
  } finally {
    document.body.dataset.predicted = asked;
    inFlight = false;
    if (pending) predict();
  }
}

function showEmpty() {
  $("prediction").textContent = "?";
  bars.forEach((bar) => { bar.style.width = "0%"; bar.textContent = "0.0%"; bar.classList.remove("top"); });
  paintGray($("input28"), new Array(784).fill(0), 28, 28);
  paintGray($("saliency"), new Array(784).fill(0), 28, 28);
  $("layers").replaceChildren();
}

function show(out) {
  $("draw-message").textContent = "";
  $("prediction").textContent = out.digit;
  out.probs.forEach((p, d) => {
    const pct = (100 * p).toFixed(1) + "%";
    bars[d].style.width = (100 * p).toFixed(1) + "%";
    bars[d].textContent = pct;
    bars[d].classList.toggle("top", d === out.digit);
  });
  paintGray($("input28"), out.input, 28, 28);
  paintGray($("saliency"), out.saliency, 28, 28, [255, 200, 0]);
  showLayers(out.layers);
}

// values in [0, 1] -> a grayscale (or tinted) picture
function paintGray(canvas, values, w, h, tint) {
  canvas.width = w;
  canvas.height = h;
  const c = canvas.getContext("2d");
  const img = c.createImageData(w, h);
  const [r, g, b] = tint || [255, 255, 255];
  for (let i = 0; i < w * h; i++) {
    const v = Math.max(0, Math.min(1, values[i]));
    img.data[4 * i] = r * v; img.data[4 * i + 1] = g * v; img.data[4 * i + 2] = b * v;
    img.data[4 * i + 3] = 255;
  }
  c.putImageData(img, 0, 0);
}

function showLayers(layers) {
  const box = $("layers");
  box.replaceChildren();
  for (const layer of layers) {
    const div = document.createElement("div");
    div.className = "layer";
    const title = document.createElement("div");
    title.className = "caption";
    title.textContent = layer.name + "  [" + layer.shape.join("\u00d7") + "]" +
      (layer.kind === "vector" && layer.total > layer.values.length ? " (first " + layer.values.length + ")" : "");
    div.append(title);
    if (layer.kind === "maps") {
      for (const m of layer.values) {
        const c = document.createElement("canvas");
        c.style.width = 3 * layer.w + "px";
        c.style.height = 3 * layer.h + "px";
        paintGray(c, m, layer.w, layer.h);
        div.append(c);
      }
    } else {
      div.append(vectorBars(layer.values));
    }
    box.append(div);
  }
}

// a vector of activations as bars (up when positive, down when negative)
function vectorBars(values) {
  const c = document.createElement("canvas");
  const n = values.length;
  const bw = Math.max(1, Math.floor(512 / n));
  c.width = bw * n;
  c.height = 50;
  const g = c.getContext("2d");
  const top = Math.max(1e-6, ...values.map(Math.abs));
  for (let i = 0; i < n; i++) {
    const v = values[i] / top;
    g.fillStyle = v >= 0 ? "#4a7fd0" : "#c0392b";
    const hgt = Math.abs(v) * 24;
    g.fillRect(i * bw, v >= 0 ? 25 - hgt : 25, Math.max(1, bw - (bw > 2 ? 1 : 0)), hgt);
  }
  return c;
}

// ------------------------------------------------------------------ status and models
async function refreshStatus() {
  const res = await fetch("/api/status");
  const st = await res.json();
  $("model-name").textContent = st.model ? "model: " + st.model : "no model loaded";
  $("no-model").hidden = Boolean(st.model);
  const sel = $("train-model");
  if (!sel.options.length) {
    for (const m of st.models) {
      const o = document.createElement("option");
      o.value = o.textContent = m;
      sel.append(o);
    }
  }
  setTraining(st.training);
  return st;
}

function setTraining(on) {
  $("train-start").disabled = on;
  $("train-default").disabled = on;
  $("train-stop").disabled = !on;
}

// ------------------------------------------------------------------ learning
async function startTraining(settings) {
  const res = await fetch("/api/train", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(settings),
  });
  const out = await res.json();
  if (!res.ok) { $("train-status").textContent = out.error; return; }
  setTraining(true);
  $("train-status").textContent = "starting...";
}

$("train-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  startTraining({
    model: $("train-model").value,
    epochs: Number($("train-epochs").value),
    subset: Number($("train-subset").value),
    lr: Number($("train-lr").value),
  });
});
$("train-default").addEventListener("click", () => startTraining({ model: "mlp", epochs: 1 }));
$("train-stop").addEventListener("click", async () => {
  await fetch("/api/stop", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  $("train-status").textContent = "stopping after this batch...";
});

// the curves: x = batch, left axis loss, right axis accuracy
const curve = { batches: 1, loss: [], acc: [], lossMax: 1 };
const X0 = 40, Y0 = 10, W = 540, H = 200;

function redraw() {
  const n = Math.max(curve.batches, ...curve.loss.map((p) => p[0]), 1);
  curve.lossMax = Math.max(0.1, ...curve.loss.map((p) => p[1]));
  const xy = (step, v, top) => (X0 + W * step / n).toFixed(1) + "," + (Y0 + H * (1 - v / top)).toFixed(1);
  $("loss-line").setAttribute("points", curve.loss.map((p) => xy(p[0], p[1], curve.lossMax)).join(" "));
  $("acc-line").setAttribute("points", curve.acc.map((p) => xy(p[0], p[1], 1)).join(" "));
  $("loss-max").textContent = curve.lossMax.toFixed(2);
  $("curves").dataset.points = curve.loss.length;
}

function onEvent(ev) {
  if (ev.type === "start") {
    curve.batches = ev.batches; curve.loss = []; curve.acc = [];
    $("epochs").replaceChildren();
    const s = ev.settings;
    $("train-status").textContent = "training " + s.model + " for " + s.epochs + " epoch(s)" +
      (s.subset ? " on " + s.subset + " images" : "") + "...";
    setTraining(true);
  } else if (ev.type === "batch") {
    curve.loss.push([ev.step, ev.loss]);
    if (Number.isFinite(ev.accuracy)) curve.acc.push([ev.step, ev.accuracy]);
    $("train-status").textContent = "batch " + ev.step + " of " + curve.batches + ": loss " +
      ev.loss.toFixed(4) + ", batch accuracy " + (100 * ev.accuracy).toFixed(1) + "%";
  } else if (ev.type === "epoch") {
    const li = document.createElement("li");
    li.textContent = "train loss " + ev.train_loss.toFixed(4) + ", valid loss " +
      ev.valid_loss.toFixed(4) + ", accuracy " + (100 * ev.accuracy).toFixed(2) + "% (" +
      ev.time.toFixed(1) + " s)";
    $("epochs").append(li);
  } else if (ev.type === "done") {
    $("train-status").textContent = (ev.stopped ? "stopped" : "done") + " after " + ev.seconds +
      " s" + (ev.accuracy !== null ? ": test accuracy " + (100 * ev.accuracy).toFixed(2) + "%" : "") +
      (ev.saved ? "; saved " + ev.saved : "") + ". The page now uses this model.";
    setTraining(false);
    refreshStatus().then(() => { if (version > 0) changed(); });
  } else if (ev.type === "error") {
    $("train-status").textContent = "training failed: " + ev.message;
    setTraining(false);
  }
  redraw();
}

const source = new EventSource("/api/events");
source.onmessage = (msg) => onEvent(JSON.parse(msg.data));

refreshStatus();
showEmpty();
