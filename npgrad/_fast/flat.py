"""One flat buffer per kind of optimizer state, so that a step is a handful of NumPy calls
for the whole model instead of a handful per parameter.

An Adam step is 13 passes over the data (see optim/adam.py). Done parameter by parameter, a
784-50-10 MLP (4 tensors) costs 52 NumPy calls per step, each with ~1 µs of overhead that
the bias vectors (10 and 50 numbers) never earn back. With the running averages of every
parameter laid end to end in one array, a step is:

    gather   all gradients into one flat array             1 call  (np.concatenate)
    update   the 13 passes over the flat arrays            13 calls per 64K-element chunk
    apply    parameter += its slice of the flat step       1 call per parameter

The chunks (``CHUNK`` elements) keep each pass's arrays in the CPU's cache, and they are
dealt to worker threads (``threads.py``): NumPy's element-wise loops release the GIL.

What stays as PyTorch has it:
- ``optimizer.state[p]["exp_avg"]`` is still a tensor shaped like ``p``: it is a view into
  the flat buffer, so reading it, saving it (``state_dict``) and loading it all work.
- Parameters are never moved: each keeps its own array (a user's ``from_numpy`` buffer
  stays the parameter's memory). The flat step is added to each one in place.
- The arithmetic is the same element by element, so results are bit-identical to the
  per-parameter path.

The packing is checked at every step (a few identity tests per parameter): if a state
array was replaced (``load_state_dict``), a parameter's array was swapped (``p.data = ...``,
``model.double()``), a gradient is missing, or the step counts differ, the step falls back
to the per-parameter path, and the group is packed again when it can be.
"""
import numpy as np

from ..optim.adam import adam_update
from ..optim.optimizer import _effective_grad

from . import use_compiled
from .threads import run_split

CHUNK = 65536  # elements: the ~6 float32 arrays a pass touches, 1.5 MiB, stay in a 2 MiB L2


class FlatGroup:
    """The state arrays named ``keys`` of ``params`` (one param group), packed end to end."""

    def __init__(self, params, states, keys):
        self.params = list(params)
        self.keys = keys
        self.dtype = self.params[0]._data.dtype
        sizes = [p._data.size for p in self.params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        total = self.offsets[-1]
        self.states = [states[p] for p in self.params]
        self.buffers = {}
        for key in keys:
            flat = self.buffers[key] = np.empty(total, self.dtype)
            for p, state, a, b in zip(self.params, self.states, self.offsets, self.offsets[1:]):
                view = flat[a:b].reshape(p._data.shape)
                view[...] = state[key]._data
                state[key]._data = view  # the state tensor now lives in the flat buffer
        self.grad = np.empty(total, self.dtype)  # the gathered gradients
        self.work = np.empty(total, self.dtype)  # scratch for the update's temporaries
        self.step = np.empty(total, self.dtype)  # the flat change to add to the parameters
        self.param_arrays = [p._data for p in self.params]
        self.state_arrays = [[s[k]._data for k in keys] for s in self.states]
        self.chunks = [(a, min(a + CHUNK, total)) for a in range(0, total, CHUNK)]
        # per chunk, the (parameter slice, step slice) pairs it must add: chunks cut across
        # parameters, so a chunk may finish one parameter and start the next
        self.targets = [self._targets(a, b) for a, b in self.chunks]

    def _targets(self, a, b):
        pairs = []
        for arr, lo, hi in zip(self.param_arrays, self.offsets, self.offsets[1:]):
            x, y = max(a, lo), min(b, hi)
            if x < y:
                pairs.append((arr.reshape(-1)[x - lo : y - lo], self.step[x:y]))
        return pairs

    @staticmethod
    def packable(params, states, keys):
        """Can these parameters share flat buffers? One float dtype, contiguous arrays,
        state already made for each."""
        if not params:
            return False
        dtype = params[0]._data.dtype
        for p in params:
            d = p._data
            if d.dtype != dtype or d.dtype.kind != "f" or not d.flags.c_contiguous:
                return False
            state = states.get(p)
            if not state or any(k not in state for k in keys):
                return False
        return True

    def still_valid(self, params):
        """Is the packing still what the parameters and their state hold?"""
        if len(params) != len(self.params):
            return False
        for p, q, arr, state, arrays in zip(params, self.params, self.param_arrays, self.states,
                                             self.state_arrays):
            if p is not q or p._data is not arr:
                return False
            for k, a in zip(self.keys, arrays):
                if state[k]._data is not a:
                    return False
        return True

    def fits(self, grads):
        """Is every gradient there, shaped and typed like its parameter?"""
        return all(g is not None and g.shape == p.shape and g.dtype == self.dtype
                   for g, p in zip(grads, self.param_arrays))

    def gather_grads(self, grads):
        """Copy every gradient (all ``fits``) into ``self.grad``, in one call."""
        np.concatenate([g.reshape(-1) for g in grads], out=self.grad)

    def apply_step(self):
        """Add ``self.step`` to the parameters, each its slice (on this thread)."""
        for arr, a, b in zip(self.param_arrays, self.offsets, self.offsets[1:]):
            arr.reshape(-1)[...] += self.step[a:b]

    def run(self, update):
        """``update(a, b)`` computes ``self.step[a:b]`` from the flat arrays' ``[a:b]``;
        then the step is added to the parameters, chunk by chunk (on worker threads)."""

        def work(dealer):
            for i in dealer:
                a, b = self.chunks[i]
                update(a, b)
                for target, step in self.targets[i]:
                    target += step

        run_split(work, range(len(self.chunks)))


def adam_step_group(opt, group):
    """``opt`` (an Adam)'s step of one param group as one flat update; False (go parameter
    by parameter, ``Adam._update``) when some parameter has no gradient this step or a step
    count of its own, or when the parameters cannot share flat buffers."""
    params = group["params"]
    keys = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())
    flats = opt._flat_groups
    flat = flats.get(id(group))
    if flat is None or not flat.still_valid(params):
        live = {id(g) for g in opt.param_groups}  # load_state_dict makes new groups:
        for key in [k for k in flats if k not in live]:  # drop the old ones' buffers
            del flats[key]
        flat = flats[id(group)] = None
        state = opt.state
        if all(p.grad is not None and p not in state for p in params):
            # the first step: make the state now, so that it is born in the flat
            # buffers (its arrays are then never replaced, as the per-parameter path)
            for p in params:
                state[p] = opt._init_state(p, group)
        if FlatGroup.packable(params, state, keys):
            flat = flats[id(group)] = FlatGroup(params, state, keys)
    if flat is None:
        return False
    steps = [s["step"] for s in flat.states]
    step = float(steps[0]._data) + 1
    if any(float(s._data) + 1 != step for s in steps):
        return False
    wd, maximize = group["weight_decay"], group["maximize"]
    grads = [None if p.grad is None else p.grad._data for p in params]
    if not flat.fits(grads):
        return False
    if wd != 0 and not group["decoupled_weight_decay"]:
        # the L2 penalty needs each parameter: fold it (and maximize) into the gather
        for g, p, a, b in zip(grads, params, flat.offsets, flat.offsets[1:]):
            _effective_grad(p._data, g, wd, maximize, flat.grad[a:b].reshape(g.shape))
        maximize = False
    else:
        flat.gather_grads(grads)
    if wd != 0 and group["decoupled_weight_decay"]:  # AdamW: shrink the weights first
        for p in params:
            p._data *= 1 - group["lr"] * wd
    for s in steps:
        s._data += 1
    beta1, beta2 = group["betas"]
    options = dict(lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                   weight_decay=0, decoupled=False, maximize=maximize)
    m, v = flat.buffers["exp_avg"], flat.buffers["exp_avg_sq"]
    vmax = flat.buffers.get("max_exp_avg_sq")
    if use_compiled():  # one pass over the whole group, then each parameter gets its slice
        from .compiled.functions import adam_flat

        adam_flat(flat, flat.grad, m, v, vmax, step, group["lr"], beta1, beta2, group["eps"],
                  maximize)
        flat.apply_step()
        return True

    def update(a, b):
        adam_update(None, flat.grad[a:b], m[a:b], v[a:b],
                    None if vmax is None else vmax[a:b], step,
                    (flat.work[a:b], flat.step[a:b]), **options)

    flat.run(update)
    return True
