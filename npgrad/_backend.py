"""The one seam between npgrad and its array library.

Every op gets its array functions from here (``from .._backend import xp``), never from
``import numpy`` directly. Today ``xp`` is NumPy; a GPU library with NumPy's API (CuPy, say)
could be swapped in here without touching a single op.
"""
import numpy

xp = numpy

#: the array type ops receive and return
ndarray = numpy.ndarray


def asarray(data, dtype=None):
    return xp.asarray(data, dtype=dtype)
