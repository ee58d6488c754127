"""Run one program file as a user would, with ``torch`` either PyTorch or npgrad.

    python _runner.py torch|npgrad PROGRAM.py [ARGS...]

With ``npgrad``, every ``import torch``/``import torch.X`` (and ``torchvision``/``torchvision.X``)
resolves to ``npgrad``/``npgrad.X`` (``npgrad.vision``/``npgrad.vision.X``): the program's text
is not touched. Real PyTorch is then blocked, so a program cannot silently fall back to it.
"""
import importlib
import importlib.abc
import importlib.util
import runpy
import sys

ALIASES = {"torch": "npgrad", "torchvision": "npgrad.vision"}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch[.X]`` as the already-importable ``npgrad[.X]`` module."""

    def find_spec(self, name, path=None, target=None):
        for src, dst in ALIASES.items():
            if name == src or name.startswith(src + "."):
                return importlib.util.spec_from_loader(name, self, origin=dst + name[len(src):])
        return None

    def create_module(self, spec):
        return importlib.import_module(spec.origin)  # the npgrad module itself

    def exec_module(self, module):
        pass  # already executed by its own import


def main():
    lib, program, *args = sys.argv[1:]
    if lib == "npgrad":
        sys.meta_path.insert(0, _Alias())
    elif lib != "torch":
        raise SystemExit(f"unknown library {lib!r}: expected torch or npgrad")
    sys.argv = [program, *args]
    runpy.run_path(program, run_name="__main__")


if __name__ == "__main__":
    main()
