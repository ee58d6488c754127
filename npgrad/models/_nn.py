def _nn(nn):
    """The ``nn`` namespace a factory builds from: npgrad's unless given (e.g. ``torch.nn``)."""
    if nn is None:
        from .. import nn
    return nn
