"""Bad input to the ``npgrad`` command: each ends with exit status 2 and one short message
on stderr - never a traceback - and is found before any work starts (no training run ends
in a bad --out). A run's files appear in --out all at once or not at all."""
import os
import shutil
import subprocess
import sys
import time

import pytest

import npgrad
from npgrad import cli

from conftest import DATA, requires_mnist

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, env=None):
    full_env = dict(os.environ, PYTHONPATH=REPO, **(env or {}))
    return subprocess.run([sys.executable, "-m", "npgrad", *map(str, args)], capture_output=True,
                          text=True, env=full_env, timeout=300)


def assert_user_error(result, *fragments):
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and result.stderr.strip(), result.stderr
    for f in fragments:
        assert f in result.stderr, (f, result.stderr)


@pytest.fixture
def afile(tmp_path):
    f = tmp_path / "plain.txt"
    f.write_text("x")
    return f


def bad_path_cases(tmp_path, afile):
    return [
        (["train", "--out", afile], "--out", "is not a folder"),
        (["train", "--out", afile / "sub"], "--out", "is a file"),
        (["train", "--out", ""], "--out", "empty"),
        (["train", "--data-dir", tmp_path / "nowhere"], "--data-dir", "no such folder"),
        (["train", "--data-dir", afile], "--data-dir", "not a folder"),
        (["train", "--download", "--data-dir", afile / "x"], "--data-dir", "is a file"),
        (["eval", tmp_path / "missing.safetensors"], "model file not found"),
        (["eval", tmp_path], "is a folder"),
        (["predict", tmp_path / "m.pth", afile], "model file not found"),
        (["lesson", "chain-rule", "--out", afile], "--out", "not a folder"),
        (["lesson", "chain-rule", "--results", tmp_path], "--results", "is a folder"),
        (["lesson", "chain-rule", "--results", afile / "r.json"], "--results", "not a folder"),
    ]


def test_bad_paths_are_found_before_any_work(tmp_path, afile, capsys):
    for args, *fragments in bad_path_cases(tmp_path, afile):
        start = time.perf_counter()
        code = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        assert code == 2, (args, err)
        assert "training" not in out and "Traceback" not in err, args
        for f in fragments:
            assert f in err, (args, f, err)
        assert len(err.strip().splitlines()) <= 3, err
        assert time.perf_counter() - start < 5, args  # no data loaded, nothing trained
    assert sorted(os.listdir(tmp_path)) == ["plain.txt"]  # and nothing was created


def test_an_unwritable_out_folder(tmp_path, capsys, monkeypatch):
    """A folder we may not write into (simulated through os.access, so it holds for root too)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(cli.os, "access", lambda p, mode: False if os.fspath(p) == str(locked)
                        else real_access(p, mode))
    assert cli.main(["train", "--out", str(locked / "run")]) == 2
    assert "not writable" in capsys.readouterr().err
    assert cli.main(["train", "--out", str(locked)]) == 2
    assert "the folder is not writable" in capsys.readouterr().err


@requires_mnist
def test_corrupt_data_and_models_exit_2_without_a_traceback(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(os.path.join(DATA, "MNIST"), data / "MNIST")
    for f in (data / "MNIST" / "raw").iterdir():
        f.chmod(0o644)
    (data / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    assert_user_error(run("train", "--data-dir", data, "--subset", "50", "--epochs", "1",
                          "--out", tmp_path / "run"), "npgrad train: error:", "gzip")
    assert not (tmp_path / "run").exists()

    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"PK\x03\x04 this is no zip")
    assert_user_error(run("eval", junk, "--data-dir", DATA), "cannot read model file", "zip")
    whole = tmp_path / "whole.pth"
    npgrad.save(npgrad.train.zoo.mlp(), whole)  # a whole module: refused unless trusted
    assert_user_error(run("eval", whole, "--data-dir", DATA), "Weights only load failed")


def test_a_bare_npgrad_prints_a_short_usage():
    result = run()
    assert result.returncode == 2 and "usage: npgrad" in result.stderr
    from npgrad.cli import COMMANDS

    assert "commands: train, eval, predict, lesson" in result.stderr  # then the newer ones
    assert all(name in result.stderr for name in COMMANDS)
    assert len(result.stderr.strip().splitlines()) <= 4 and "Traceback" not in result.stderr


@requires_mnist
def test_lr_is_given_to_the_learner_once(monkeypatch, tmp_path, capsys):
    from npgrad.train import Learner

    seen = {}

    class Stop(Exception):
        pass

    def fake_fit(self, epochs, max_lr=None, **kw):
        seen.update(epochs=epochs, max_lr=max_lr, lr=self.lr)
        raise Stop

    monkeypatch.setattr(Learner, "fit_one_cycle", fake_fit)
    with pytest.raises(Stop):
        cli.main(["train", "--data-dir", DATA, "--subset", "20", "--lr", "0.0123", "--epochs", "2",
                  "--out", str(tmp_path / "run"), "--no-progress"])
    assert seen == {"epochs": 2, "max_lr": None, "lr": 0.0123}
    assert not (tmp_path / "run").exists()


@requires_mnist
def test_a_run_appears_whole_or_not_at_all(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old-file.txt").write_text("from an earlier run")
    args = ["train", "--data-dir", DATA, "--subset", "64", "--epochs", "1", "--batch-size", "32",
            "--out", str(out), "--no-progress"]
    from npgrad.train import history

    def disk_full(self, path, per_batch=False):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(history.History, "save_csv", disk_full)
    assert cli.main(args) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert sorted(os.listdir(out)) == ["old-file.txt"]  # the old run, untouched
    assert sorted(os.listdir(tmp_path)) == ["run"]  # no staging folder left
    monkeypatch.undo()

    assert cli.main(args) == 0
    files = sorted(os.listdir(out))
    assert "model.safetensors" in files and "run.json" in files and "old-file.txt" not in files
    assert sorted(os.listdir(tmp_path)) == ["run"]
    stale = tmp_path / ".run.npgrad-tmp-999999999-deadbeef"  # a killed run's staging folder
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half")
    assert cli.main(args) == 0
    assert sorted(os.listdir(tmp_path)) == ["run"]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_paths_are_probed_not_just_checked_with_os_access(capsys):
    """/proc passes os.access for root but takes no new folders: found before any work."""
    for args in (["train", "--out", "/proc/npgrad-run"], ["lesson", "chain-rule", "--results", "/proc/x/r.json"]):
        assert cli.main(args) == 2
        assert "cannot write in /proc" in capsys.readouterr().err
