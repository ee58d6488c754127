"""``Summary`` protocol buffers for each kind of record, from NumPy values (PyTorch's
``torch.utils.tensorboard.summary``, rewritten on the ``tensorboard`` package's protos)."""
import math

import numpy as np

from ._png import encode_png


def to_numpy(value):
    """An npgrad Tensor, NumPy array, number or torch tensor as a NumPy array."""
    data = getattr(value, "_data", None)
    if data is not None:
        return np.asarray(data)
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return value.detach().cpu().numpy()
    return np.asarray(value)


def scalar(tag, value):
    from tensorboard.compat.proto.summary_pb2 import Summary

    arr = to_numpy(value).squeeze()
    if arr.ndim != 0:
        raise ValueError(f"add_scalar: {tag!r} needs one value, got shape {arr.shape}")
    return Summary(value=[Summary.Value(tag=tag, simple_value=float(arr))])


def _tensorflow_bins():
    """TensorFlow's histogram edges: +-1e-12 * 1.1^k up to 1e20, and 0 (PyTorch's default)."""
    pos = [1e-12]
    while pos[-1] < 1e20:
        pos.append(pos[-1] * 1.1)
    pos = np.asarray(pos)
    return np.concatenate([-pos[::-1], [0.0], pos])


def histogram(tag, values, bins="tensorflow", max_bins=None):
    from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary

    v = to_numpy(values).astype(np.float64).reshape(-1)
    if v.size == 0:
        raise ValueError(f"add_histogram: {tag!r} got an empty array")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"add_histogram: {tag!r} holds NaN or infinite values")
    edges = _tensorflow_bins() if bins == "tensorflow" else bins
    counts, limits = np.histogram(v, bins=edges)
    if max_bins is not None and len(counts) > max_bins:  # merge groups of neighbours
        sub = len(counts) // max_bins
        counts = np.pad(counts, (0, (-len(counts)) % sub)).reshape(-1, sub).sum(axis=1)
        limits = np.concatenate([limits[:-1:sub], limits[-1:]])
    # keep the bins from the first to the last non-empty one, plus one empty bin on the
    # left (TensorBoard stores right edges only, so that bin's edge is the histogram's start)
    nonzero = np.nonzero(counts)[0]
    first, last = int(nonzero[0]), int(nonzero[-1])
    left = [0] if first == 0 else counts[first - 1:first]
    counts = np.concatenate([left, counts[first:last + 1]])
    right = limits[first:last + 2]
    hist = HistogramProto(min=float(v.min()), max=float(v.max()), num=int(v.size),
                          sum=float(v.sum()), sum_squares=float(np.dot(v, v)),
                          bucket_limit=right.tolist(), bucket=counts.astype(np.float64).tolist())
    return Summary(value=[Summary.Value(tag=tag, histo=hist)])


def _to_hwc(arr, dataformats):
    dataformats = dataformats.upper()
    if sorted(dataformats) not in (sorted("CHW"), sorted("HW"), sorted("HWC")) \
            or len(set(dataformats)) != len(dataformats) or arr.ndim != len(dataformats):
        raise ValueError(f"add_image: dataformats {dataformats!r} does not fit an image of "
                         f"shape {arr.shape}")
    if dataformats in ("HW", "WH"):
        arr = (arr.T if dataformats == "WH" else arr)[:, :, None]
    else:
        arr = np.transpose(arr, [dataformats.index(k) for k in "HWC"])
    return np.repeat(arr, 3, axis=2) if arr.shape[2] == 1 else arr  # gray shown as RGB


def image_grid(arr, dataformats="NCHW"):
    """A batch of images as one (H, W, C) grid, up to 8 per row (PyTorch's layout); gray
    images become RGB."""
    dataformats = dataformats.upper()
    if arr.ndim != 4 or sorted(dataformats) != sorted("NCHW"):
        raise ValueError(f"add_images: dataformats {dataformats!r} does not fit images of "
                         f"shape {arr.shape}")
    arr = np.transpose(arr, [dataformats.index(k) for k in "NCHW"])
    if arr.shape[1] == 1:
        arr = np.repeat(arr, 3, axis=1)
    n, c, h, w = arr.shape
    ncols = min(n, 8)
    nrows = int(math.ceil(n / ncols))
    grid = np.zeros((c, h * nrows, w * ncols), arr.dtype)
    for i in range(n):
        r, col = divmod(i, ncols)
        grid[:, r * h:(r + 1) * h, col * w:(col + 1) * w] = arr[i]
    return np.transpose(grid, (1, 2, 0))


def image(tag, hwc):
    """``hwc``: (H, W, C) floats in [0, 1] (scaled by 255) or uint8."""
    from tensorboard.compat.proto.summary_pb2 import Summary

    if hwc.dtype != np.uint8:
        hwc = np.clip(hwc.astype(np.float64) * 255.0, 0, 255).round().astype(np.uint8)
    if hwc.shape[2] not in (1, 3, 4):
        raise ValueError(f"add_image: {tag!r} has {hwc.shape[2]} channels (1, 3 or 4 allowed)")
    h, w, c = hwc.shape
    img = Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=encode_png(hwc))
    return Summary(value=[Summary.Value(tag=tag, image=img)])


def text(tag, text_string):
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="text", content=TextPluginData(version=0).SerializeToString()))
    tensor = TensorProto(dtype="DT_STRING", string_val=[str(text_string).encode("utf-8")],
                         tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=meta, tensor=tensor)])


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The experiment, session-start and session-end summaries of the HParams plugin."""
    from google.protobuf import struct_pb2
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

    domains = hparam_domain_discrete or {}
    start = plugin_data_pb2.SessionStartInfo()
    infos = []
    for key, v in hparam_dict.items():
        v = to_numpy(v).item() if hasattr(v, "shape") else v
        info = api_pb2.HParamInfo(name=key)
        if isinstance(v, (int, float)):  # bools too: PyTorch logs True as 1
            start.hparams[key].number_value = float(v)
            info.type = api_pb2.DATA_TYPE_FLOAT64
        elif isinstance(v, str):
            start.hparams[key].string_value = v
            info.type = api_pb2.DATA_TYPE_STRING
        elif v is None:
            start.hparams[key].string_value = "None"
            info.type = api_pb2.DATA_TYPE_STRING
        else:
            raise ValueError(f"add_hparams: value of {key!r} must be a bool, number, str or "
                             f"None, got {type(v).__name__}")
        if key in domains:
            values = [struct_pb2.Value(bool_value=d) if isinstance(d, bool) else
                      struct_pb2.Value(number_value=d) if isinstance(d, (int, float)) else
                      struct_pb2.Value(string_value=str(d)) for d in domains[key]]
            info.domain_discrete.CopyFrom(struct_pb2.ListValue(values=values))
        infos.append(info)

    def summary(tag, **data):
        content = plugin_data_pb2.HParamsPluginData(version=metadata.PLUGIN_DATA_VERSION, **data)
        meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
            plugin_name=metadata.PLUGIN_NAME, content=content.SerializeToString()))
        return Summary(value=[Summary.Value(tag=tag, metadata=meta)])

    experiment = api_pb2.Experiment(hparam_infos=infos, metric_infos=[
        api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict])
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS)
    return (summary(metadata.EXPERIMENT_TAG, experiment=experiment),
            summary(metadata.SESSION_START_INFO_TAG, session_start_info=start),
            summary(metadata.SESSION_END_INFO_TAG, session_end_info=end))
