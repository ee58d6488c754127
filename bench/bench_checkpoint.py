"""What the checkpoint checksum costs: save and load of the 784-256-128-10 MLP's state_dict
(safetensors with SHA-256, and torch's zip format), against the SHA-256 alone and against
PyTorch's own torch.save / torch.load of the same weights. One run, best of N each.

    PYTHONPATH=. python bench/bench_checkpoint.py
"""
import hashlib
import io
import os
import tempfile
import time

import npgrad
from npgrad import nn


def best(fn, n=30):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3


def main():
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    sd = model.state_dict()
    nbytes = sum(t.numpy().nbytes for t in sd.values())
    folder = tempfile.mkdtemp()
    st, pth = os.path.join(folder, "m.safetensors"), os.path.join(folder, "m.pth")
    blob = b"".join(t.numpy().tobytes() for t in sd.values())
    rows = [("sha256 of the weights alone", best(lambda: hashlib.sha256(blob).hexdigest()))]
    for name, path in (("safetensors", st), ("torch zip", pth)):
        rows.append((f"npgrad.save {name} (atomic, fsync)", best(lambda: npgrad.save(sd, path))))
        rows.append((f"npgrad.save {name} to BytesIO", best(lambda: npgrad.save(sd, io.BytesIO(), format="safetensors" if name == "safetensors" else "torch"))))
        rows.append((f"npgrad.load {name}", best(lambda: npgrad.load(path))))
    try:
        import torch

        tsd = {k: torch.from_numpy(v.numpy().copy()) for k, v in sd.items()}
        tp = os.path.join(folder, "t.pth")
        rows.append(("torch.save", best(lambda: torch.save(tsd, tp))))
        rows.append(("torch.load(weights_only=True)", best(lambda: torch.load(tp, weights_only=True))))
    except ImportError:
        pass
    print(f"784-256-128-10 MLP state_dict: {nbytes / 1e6:.2f} MB")
    for name, ms in rows:
        print(f"  {name:<42} {ms:7.2f} ms")


if __name__ == "__main__":
    main()
