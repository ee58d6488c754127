"""Where datasets live on disk when no ``root`` is given."""
import os


def default_root():
    """``$NPGRAD_DATA`` if set, else ``~/.cache/npgrad``."""
    env = os.environ.get("NPGRAD_DATA")
    return os.path.expanduser(env) if env else os.path.join(os.path.expanduser("~"), ".cache", "npgrad")


def resolve_root(root):
    """The data root for a dataset's ``root`` argument (``None`` means ``default_root()``)."""
    if root is None:
        return default_root()
    return os.path.expanduser(os.fspath(root))
