"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step ``...Cell`` forms.

Parameters are named, shaped, ordered and initialised as PyTorch's (``weight_ih_l{k}``,
``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``, ``weight_hr_l{k}``, with ``_reverse``
for the backward direction; all U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))), so a torch
state_dict loads. Each layer and direction runs as one fused node (``ops.rnn``).
"""
import math
import numbers
import warnings

from ... import _dtype
from ..._backend import xp
from ..._tensor import Tensor, wrap
from ...ops import rnn as rnn_ops
from ...ops import shape as shape_ops
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, packed_to_padded, padded_to_packed

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _empty(*sizes, dtype=None):
    return wrap(xp.empty(sizes, dtype=_dtype.to_np(dtype) or _dtype.default_float))


def _zeros(shape, like):
    return wrap(xp.zeros(shape, dtype=like._data.dtype))


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters, the checks and the layer loop."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive integer, got {hidden_size!r}")
        if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers!r}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size or hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for kind, shape in shapes:
                    pname = f"{kind}_l{layer}{suffix}"
                    setattr(self, pname, Parameter(_empty(*shape, dtype=dtype)))
                    names.append(pname)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """A no-op kept for PyTorch programs (cuDNN packs its weights; NumPy has nothing to)."""

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    # ------------------------------------------------------------------ checks
    def _check_input(self, input, batch_sizes):
        name = type(self).__name__
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"{name}: input must have {expected} dimensions, got {input.dim()} "
                               f"(shape {tuple(input.shape)})")
        wdtype = self.weight_ih_l0._data.dtype
        if input._data.dtype != wdtype:
            raise RuntimeError(f"{name}: input must have the type {_dtype_name(wdtype)}, got "
                               f"type {input.dtype} (convert with .float() or .double())")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.shape[-1]} (input shape {tuple(input.shape)})"
            )

    def _check_hidden(self, hx, expected, what="hidden", input=None):
        if input is not None and hx._data.dtype != input._data.dtype:
            raise RuntimeError(
                f"{type(self).__name__}: Input and hidden tensors are not the same dtype, found "
                f"input tensor with {input.dtype} and {what} tensor with {hx.dtype}"
            )
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(
                f"{type(self).__name__}: Expected {what} size {tuple(expected)}, got "
                f"{list(hx.shape)}"
            )

    # ------------------------------------------------------------------ forward
    def forward(self, input, hx=None):
        name = type(self).__name__
        is_lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        directions = 2 if self.bidirectional else 1
        real_hidden = self.proj_size or self.hidden_size
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            sizes = _index_array(batch_sizes)
            self._check_input(data, sizes)
            B = int(sizes[0])
            x = packed_to_padded(data, sizes)  # (T, B, I), sorted order
            batched = True
        else:
            sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                                 f"input instead (shape {tuple(input.shape)})")
            batched = input.dim() == 3
            x = input
            if not batched:
                x = shape_ops.unsqueeze(x, 1)
            elif self.batch_first:
                x = shape_ops.transpose(x, 0, 1)
            self._check_input(x, None)
            B = int(x.shape[1])
            if hx is not None:
                states = hx if is_lstm else (hx,)
                if not isinstance(states, (tuple, list)) or len(states) != (2 if is_lstm else 1):
                    raise RuntimeError(f"{name}: expected hx to be a tuple (h_0, c_0)")
                dims = [s.dim() for s in states]
                want = 3 if batched else 2
                if any(d != want for d in dims):
                    kind = "batched 3-D" if batched else "unbatched 2-D"
                    what = "hx and cx" if is_lstm else "hx"
                    got = ", ".join(f"{d}-D" for d in dims)
                    raise RuntimeError(f"{name}: For {kind} input, {what} should also be "
                                       f"{want}-D but got ({got}) tensors")
                if not batched:
                    hx = tuple(shape_ops.unsqueeze(s, 1) for s in states)
                    hx = hx if is_lstm else hx[0]
        h_shape = (self.num_layers * directions, B, real_hidden)
        c_shape = (self.num_layers * directions, B, self.hidden_size)
        if hx is None:
            h0 = _zeros(h_shape, x)
            c0 = _zeros(c_shape, x) if is_lstm else None
        else:
            if is_lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise RuntimeError(f"{name}: expected hx to be a tuple (h_0, c_0)")
                h0, c0 = hx
            else:
                h0, c0 = hx, None
            if sorted_indices is not None:
                order = _index_array(sorted_indices)
                h0 = h0[:, order]
                c0 = c0[:, order] if c0 is not None else None
            self._check_hidden(h0, h_shape, "hidden[0]" if is_lstm else "hidden", x)
            if is_lstm:
                self._check_hidden(c0, c_shape, "hidden[1]", x)
        h_n, c_n = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                suffix = "_reverse" if d else ""
                p = lambda kind: getattr(self, f"{kind}_l{layer}{suffix}", None)  # noqa: E731
                out, h, c = rnn_ops.run_layer(
                    layer_input, h0[k], c0[k] if is_lstm else None,
                    p("weight_ih"), p("weight_hh"), p("bias_ih"), p("bias_hh"),
                    p("weight_hr") if self.proj_size else None,
                    mode=self.mode, reverse=bool(d), batch_sizes=sizes,
                )
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            layer_input = outs[0] if directions == 1 else shape_ops.cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        h_n = shape_ops.stack(h_n, 0)
        c_n = shape_ops.stack(c_n, 0) if is_lstm else None
        if unsorted_indices is not None:
            order = _index_array(unsorted_indices)
            h_n = h_n[:, order]
            c_n = c_n[:, order] if is_lstm else None
        if packed:
            output = PackedSequence(padded_to_packed(output, sizes), batch_sizes,
                                    sorted_indices, unsorted_indices)
        elif not batched:
            output = shape_ops.squeeze(output, 1)
            h_n = shape_ops.squeeze(h_n, 1)
            c_n = shape_ops.squeeze(c_n, 1) if is_lstm else None
        elif self.batch_first:
            output = shape_ops.transpose(output, 0, 1)
        return output, ((h_n, c_n) if is_lstm else h_n)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _dtype_name(np_dtype):
    return f"npgrad.{np_dtype}"


def _index_array(value):
    if isinstance(value, Tensor):
        return value._data.astype(xp.int64)
    if hasattr(value, "detach"):
        return xp.asarray(value.detach().cpu().numpy(), dtype=xp.int64)
    return xp.asarray(value, dtype=xp.int64)


def _split_args(name, args, kwargs, keys):
    """RNN's positional signature: (input_size, hidden_size, num_layers, ...)."""
    if len(args) > len(keys):
        raise TypeError(f"{name}: too many positional arguments ({len(args)})")
    for key, value in zip(keys, args):
        if key in kwargs:
            raise TypeError(f"{name}: got multiple values for argument '{key}'")
        kwargs[key] = value
    return kwargs


_KEYS = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
         "bidirectional")


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu)."""

    def __init__(self, *args, **kwargs):
        kwargs = _split_args("RNN", args, kwargs, _KEYS[:3] + ("nonlinearity",) + _KEYS[3:])
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; gates (input, forget, cell, output) in that order."""

    def __init__(self, *args, **kwargs):
        kwargs = _split_args("LSTM", args, kwargs, _KEYS + ("proj_size",))
        super().__init__("LSTM", **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit; gates (reset, update, new) in that order."""

    def __init__(self, *args, **kwargs):
        kwargs = _split_args("GRU", args, kwargs, _KEYS)
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", **kwargs)


# ---------------------------------------------------------------------- cells
class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_empty(num_chunks * hidden_size, input_size, dtype=dtype))
        self.weight_hh = Parameter(_empty(num_chunks * hidden_size, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(_empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, input, states, mode):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead "
                             f"(shape {tuple(input.shape)})")
        batched = input.dim() == 2
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got "
                               f"{input.shape[-1]} expected {self.input_size} (input shape "
                               f"{tuple(input.shape)})")
        wdtype = self.weight_ih._data.dtype
        if input._data.dtype != wdtype:
            raise RuntimeError(f"{name}: input must have the type {_dtype_name(wdtype)}, got "
                               f"type {input.dtype} (convert with .float() or .double())")
        x = input if batched else shape_ops.unsqueeze(input, 0)
        B = x.shape[0]
        full = []
        for k, s in enumerate(states):
            if s is None:
                s = _zeros((B, self.hidden_size), x)
            else:
                if s.dim() != input.dim():
                    raise RuntimeError(f"{name}: hidden state of {s.dim()}-D for a {input.dim()}-D "
                                       f"input (shape {tuple(s.shape)}); they must match")
                if not batched:
                    s = shape_ops.unsqueeze(s, 0)
                if s._data.dtype != x._data.dtype:
                    raise RuntimeError(f"{name}: hidden{k} has dtype {s.dtype}, the input "
                                       f"{x.dtype}; they must be the same")
                if tuple(s.shape) != (B, self.hidden_size):
                    raise RuntimeError(
                        f"{name}: hidden{k} has inconsistent shape {tuple(s.shape)}; expected "
                        f"({B}, {self.hidden_size}) for input shape {tuple(input.shape)}"
                    )
            full.append(s)
        _, h, c = rnn_ops.run_layer(
            shape_ops.unsqueeze(x, 0), full[0], full[1] if mode == "LSTM" else None,
            self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, None, mode=mode,
        )
        if not batched:
            h = shape_ops.squeeze(h, 0)
            c = shape_ops.squeeze(c, 0) if c is not None else None
        return h, c


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh",
                 device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._step(input, [hx], mode)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step: (h, c) -> (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        states = [None, None] if hx is None else list(hx)
        return self._step(input, states, "LSTM")


class GRUCell(RNNCellBase):
    """One GRU step: h -> h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, [hx], "GRU")[0]
