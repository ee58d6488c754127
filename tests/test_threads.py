"""npgrad asks NumPy's BLAS for one thread on import (faster for small matrices, see
npgrad/_threads.py), unless the user's environment chose a number; set_num_threads works."""
import os
import subprocess
import sys

import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")

_PROBE = """
import threadpoolctl, npgrad
print(max(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"))
npgrad.set_num_threads(2)
print(max(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"), npgrad.get_num_threads())
"""


def _run(env_extra):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, check=True)
    return out.stdout.split()


def test_import_sets_one_blas_thread_and_set_num_threads_changes_it():
    first, after, reported = _run({})
    assert first == "1"
    assert after == "2" and reported == "2"


def test_a_thread_count_from_the_environment_is_respected():
    first, _, _ = _run({"OPENBLAS_NUM_THREADS": "2"})
    assert first == "2"


def test_set_num_threads_rejects_nonsense():
    import npgrad

    with pytest.raises(ValueError, match="positive number of threads"):
        npgrad.set_num_threads(0)
