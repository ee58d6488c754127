"""Well-known public PyTorch programs (tests/real_programs/*.py, written the way their authors
wrote them, with the dataset download replaced by small synthetic data of the same shapes) run
unchanged on PyTorch and on npgrad substituted for ``torch`` (see real_programs/_runner.py).

Each program prints its losses the way it always does ("Loss: 0.123", "loss 2.5", ...). Both
runs must finish, print as many losses, start near each other (initial weights come from each
library's own generator, so they are equal in distribution, not in value; the data are the same
NumPy arrays) and, where the program trains, fall alike."""
import contextlib
import io
import math
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "real_programs"
ROOT = Path(__file__).resolve().parents[1]
LOSS = re.compile(r"loss[^0-9\n+-]{0,12}([-+]?\d+\.\d*(?:[eE][-+]?\d+)?)", re.IGNORECASE)

# program -> (extra argv, checks). first: relative tolerance of the first loss;
# last: relative tolerance of the final loss; learns: the loss must fall on both.
PROGRAMS = {
    "mnist": ([], dict(first=0.2, last=1.0, learns=True)),
    "mnist_rnn": ([], dict(first=0.1, last=0.2, learns=False)),
}


def run_torch(program, args):
    """PyTorch in this process (imported once by the test session already)."""
    out = io.StringIO()
    argv = sys.argv
    sys.argv = [str(program), *args]
    cwd = os.getcwd()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(program), run_name="__main__")
    finally:
        sys.argv = argv
        os.chdir(cwd)
    return out.getvalue()


def run_npgrad(program, args, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(HERE / "_runner.py"), "npgrad", str(program),
                           *args], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)
    assert proc.returncode == 0, f"{program.name} failed on npgrad:\n{proc.stderr[-3000:]}"
    return proc.stdout


def losses(text):
    return [float(v) for v in LOSS.findall(text)]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_runs_alike(name, tmp_path, monkeypatch):
    args, check = PROGRAMS[name]
    program = HERE / f"{name}.py"
    monkeypatch.chdir(tmp_path)
    expected = losses(run_torch(program, args))
    got = losses(run_npgrad(program, args, tmp_path))
    assert expected, f"{name}: torch printed no loss (the test would check nothing)"
    assert len(got) == len(expected), (name, got, expected)
    assert all(math.isfinite(v) for v in got), (name, got)
    assert got[0] == pytest.approx(expected[0], rel=check["first"]), (name, got, expected)
    assert got[-1] == pytest.approx(expected[-1], rel=check["last"], abs=0.05), (name, got, expected)
    if check["learns"]:
        assert expected[-1] < expected[0] and got[-1] < got[0], (name, got, expected)
