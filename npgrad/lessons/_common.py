"""Small helpers the lessons share: headings, figure paths, optional plots."""
import os

__all__ = ["figure", "heading", "note"]


def heading(text):
    print()
    print(text)
    print("-" * len(text))


def note(text):
    """A remark from the lesson itself (not something the tutorial prints)."""
    print(f"  > {text}")


def figure(out_dir, filename, draw, *args, **kwargs):
    """Call ``draw(*args, path, **kwargs)`` to save ``out_dir/filename``; return the path.

    Without ``out_dir`` nothing is drawn and None is returned. Without matplotlib the
    lesson carries on: it says so and returns None."""
    if out_dir is None:
        return None
    path = os.path.join(os.fspath(out_dir), filename)
    try:
        draw(*args, path, **kwargs)
    except ImportError as exc:
        note(f"figure {filename} skipped: {exc}")
        return None
    print(f"  saved {path}")
    return path
