"""Error classes shared by npgrad's file readers (kept here so that importing one costs nothing)."""


class CorruptFileError(ValueError):
    """A file that is truncated, corrupt, or not the file it claims to be: a data file
    (``npgrad.vision.datasets``) or a checkpoint (``npgrad.load``)."""
