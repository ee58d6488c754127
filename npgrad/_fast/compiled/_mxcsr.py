"""Read and write the x86-64 SSE control register (MXCSR) of the calling thread.

NumPy has no way to set the CPU's flush-to-zero (FTZ) and denormals-are-zero (DAZ) bits,
and neither has Python; LLVM has the two instructions as intrinsics
(``llvm.x86.sse.stmxcsr`` / ``ldmxcsr``), and numba lets us emit them. Imported only by
``npgrad.set_flush_denormal`` on x86-64 with numba installed."""
import numba
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

FTZ = 0x8000  # bit 15: a result too small to be normal becomes 0
DAZ = 0x0040  # bit 6: a denormal input is read as 0

_I32 = ir.IntType(32)
_PTR = ir.IntType(8).as_pointer()


@intrinsic
def _stmxcsr(typingctx):
    def codegen(context, builder, signature, args):
        slot = cgutils.alloca_once(builder, _I32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [_PTR]),
                                            "llvm.x86.sse.stmxcsr")
        builder.call(fn, [builder.bitcast(slot, _PTR)])
        return builder.load(slot)

    return types.uint32(), codegen


@intrinsic
def _ldmxcsr(typingctx, value):
    def codegen(context, builder, signature, args):
        slot = cgutils.alloca_once(builder, _I32)
        builder.store(builder.trunc(args[0], _I32) if args[0].type.width > 32 else args[0], slot)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [_PTR]),
                                            "llvm.x86.sse.ldmxcsr")
        builder.call(fn, [builder.bitcast(slot, _PTR)])
        return context.get_dummy_value()

    return types.void(types.uint32), codegen


@numba.njit(cache=True, nogil=True)
def get_mxcsr():
    """The calling thread's MXCSR."""
    return _stmxcsr()


@numba.njit(cache=True, nogil=True)
def set_flush_bits(on):
    """Set (``on``) or clear FTZ and DAZ in the calling thread's MXCSR, keeping its other
    bits (rounding mode, exception masks); returns the new value."""
    value = _stmxcsr()
    value = (value | 0x8040) if on else (value & ~numba.uint32(0x8040))
    _ldmxcsr(numba.uint32(value))
    return _stmxcsr()
