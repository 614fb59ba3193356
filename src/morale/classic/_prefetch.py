"""A software prefetch hint for compiled loops (LLVM's ``llvm.prefetch``).

The activation order is random, so every agent's row and cell are a cache miss, and each waits for the
last: the loop is bound by memory latency, not work. Asking for the rows of the agents a few places ahead
in the order overlaps those misses. A hint changes no result.
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic


@intrinsic
def prefetch(typingctx, array, index):
    """Hint that ``array.flat[index]`` (C-contiguous) will soon be read."""
    if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        address = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(8).as_pointer())
        int32 = ir.IntType(32)
        hint_type = ir.FunctionType(ir.VoidType(), [address.type, int32, int32, int32])
        hint = builder.module.globals.get("llvm.prefetch.p0") or ir.Function(
            builder.module, hint_type, name="llvm.prefetch.p0"
        )
        builder.call(hint, [address, int32(0), int32(3), int32(1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen
