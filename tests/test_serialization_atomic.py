"""Saving over a checkpoint: the old file's permissions are kept, a symlink is written
through to its target, and a save killed with SIGKILL leaves only a recognisable temporary
file, which the next save into that folder removes."""
import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

import npgrad

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes, symlinks and signals")

WORKTREE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("name", ["ck.safetensors", "ck.pth"])
def test_save_keeps_the_mode_of_the_file_it_replaces(name, tmp_path):
    path = tmp_path / name
    npgrad.save({"w": npgrad.ones(2)}, path)
    os.chmod(path, 0o600)
    npgrad.save({"w": npgrad.zeros(2)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert npgrad.load(path)["w"].tolist() == [0.0, 0.0]
    os.chmod(path, 0o640)
    npgrad.save({"w": npgrad.ones(2)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


@pytest.mark.parametrize("name", ["ck.safetensors", "ck.pth"])
def test_save_writes_through_a_symlink(name, tmp_path):
    real_dir = tmp_path / "store"
    real_dir.mkdir()
    target = real_dir / name
    npgrad.save({"w": npgrad.ones(2)}, target)
    link = tmp_path / f"latest-{name}"
    os.symlink(target, link)
    chain = tmp_path / f"chain-{name}"
    os.symlink(link, chain)  # a link to a link
    npgrad.save({"w": npgrad.full((2,), 5.0)}, chain)
    assert os.path.islink(link) and os.path.islink(chain)
    assert npgrad.load(target)["w"].tolist() == [5.0, 5.0]
    assert sorted(os.listdir(real_dir)) == [name] and sorted(os.listdir(tmp_path)) == sorted(
        ["store", f"latest-{name}", f"chain-{name}"])
    dangling = tmp_path / "dangling"
    os.symlink(real_dir / "new.safetensors", dangling)  # a link to a file not yet there
    npgrad.save({"w": npgrad.ones(1)}, dangling)
    assert os.path.islink(dangling) and npgrad.load(real_dir / "new.safetensors")["w"].tolist() == [1.0]


KILLED_SAVE = textwrap.dedent("""
    import os, sys, time
    import npgrad
    from npgrad.serialization import safetensors
    real = safetensors._write_array
    def slow(f, arr):
        real(f, arr)
        f.flush()
        print("halfway", flush=True)
        time.sleep(60)   # the parent kills us here, mid-save
    safetensors._write_array = slow
    npgrad.save({"a": npgrad.ones(1000), "b": npgrad.ones(1000)}, sys.argv[1])
""")


def test_a_killed_save_leaves_the_old_file_and_the_next_save_sweeps_up(tmp_path):
    path = tmp_path / "ck.safetensors"
    npgrad.save({"w": npgrad.ones(2)}, path)
    before = path.read_bytes()
    env = dict(os.environ, PYTHONPATH=WORKTREE)
    for _ in range(3):  # three killed saves
        proc = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(path)], env=env,
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "halfway"
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
            proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
    leftovers = sorted(n for n in os.listdir(tmp_path) if n != "ck.safetensors")
    # each killed save swept up its dead predecessor's file when it started: one is left
    assert len(leftovers) == 1 and all(n.startswith(".ck.safetensors.npgrad-tmp-") for n in leftovers)
    assert path.read_bytes() == before  # the checkpoint itself is untouched
    (tmp_path / ".other.npgrad-tmp-notapid").write_text("not ours")  # not our pattern: kept
    npgrad.save({"w": npgrad.zeros(2)}, tmp_path / "another.pth")  # any save into the folder
    assert sorted(os.listdir(tmp_path)) == [".other.npgrad-tmp-notapid", "another.pth", "ck.safetensors"]
    assert npgrad.load(path)["w"].tolist() == [1.0, 1.0]


def test_temp_files_of_live_processes_are_kept(tmp_path):
    """A save running in another live process must not lose its temporary file."""
    live = tmp_path / f".x.safetensors.npgrad-tmp-{os.getppid()}-abcd1234"
    live.write_bytes(b"in progress")
    npgrad.save({"w": npgrad.ones(1)}, tmp_path / "y.safetensors")
    assert live.exists()
