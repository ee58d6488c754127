"""Mutated checkpoint files for the fuzz tests (tests/test_serialization_fuzz.py).

``mutants(base, n, seed)`` yields ``(kind, bytes)``: ``n`` deterministic mutations of the
valid file ``base`` - bit flips, byte stores, truncations, appended junk, absurd header
lengths, and edits of the JSON header (wrong dtypes/shapes/offsets, huge numbers, deeply
nested JSON, bad metadata and structure nodes). Shared by the safetensors and the .pth
fuzzers, which add format-specific mutations of their own."""
import json
import random

HUGE = [2**31, 2**32 - 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 10**30, -1, -2**63]
JUNK_VALUES = [None, True, "x", 1.5, -1, 0, [], {}, [1, 2, 3], [[[]]], {"a": 1}, "F32",
               2**64, 10**400, float("nan")]


def nested(depth, kind):
    return ("[" * depth + "]" * depth) if kind == 0 else ('{"a":' * depth + "1" + "}" * depth)


def split_safetensors(blob):
    n = int.from_bytes(blob[:8], "little")
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def join_safetensors(header, data, raw_text=None):
    text = raw_text if raw_text is not None else json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def byte_mutation(rng, blob):
    kind = rng.randrange(6)
    b = bytearray(blob)
    if kind == 0 and b:  # flip 1..3 bits
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        return "bitflip", bytes(b)
    if kind == 1 and b:  # store a random byte
        b[rng.randrange(len(b))] = rng.randrange(256)
        return "byte", bytes(b)
    if kind == 2:
        return "truncate", bytes(b[:rng.randrange(len(b) + 1)])
    if kind == 3:
        return "append", bytes(b) + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    if kind == 4 and len(b) > 16:  # delete a slice
        i = rng.randrange(len(b))
        return "delete", bytes(b[:i] + b[i + rng.randint(1, 16):])
    i = rng.randrange(len(b) + 1)  # insert junk
    return "insert", bytes(b[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 16))) + b[i:])


def header_mutation(rng, blob):
    header, data = split_safetensors(blob)
    names = [k for k in header if k != "__metadata__"]
    kind = rng.randrange(12)
    if kind == 0:  # absurd header length field
        n = rng.choice(HUGE[:6] + [len(blob), len(blob) - 7, 0, 1])
        return "header-length", (n % 2**64).to_bytes(8, "little") + blob[8:]
    if kind == 1:  # deeply nested JSON as the whole header
        return "nested-json", join_safetensors(None, data, nested(rng.choice([100, 5000, 100000]), rng.randrange(2)).encode())
    if kind == 2 and names:  # wrong dtype
        header[rng.choice(names)]["dtype"] = rng.choice(["F32", "F64", "I32", "I64", "U8", "BOOL", "F16", "I8", "BF16", "F8_E4M3", "Q4", "", None, 7, ["F32"]])
        return "dtype", join_safetensors(header, data)
    if kind == 3 and names:  # wrong shape
        e = header[rng.choice(names)]
        e["shape"] = rng.choice([[rng.choice(HUGE)], [0, rng.choice(HUGE)], [2**32, 2**32, 2**32], [1] * 100, [], "3", [1.5], [True], None, [-3, -4], e["shape"][::-1], [0], [2**40] * 2])
        return "shape", join_safetensors(header, data)
    if kind == 4 and names:  # wrong offsets
        e = header[rng.choice(names)]
        a, z = e["data_offsets"]
        e["data_offsets"] = rng.choice([[a, z + 1], [a + 1, z + 1], [z, a], [0, z - a], [a, rng.choice(HUGE)], [rng.choice(HUGE), rng.choice(HUGE)], [a], [a, z, 0], "0,8", None, [a + 0.5, z], [a, z + 2**64]])
        return "offsets", join_safetensors(header, data)
    if kind == 5 and names:  # entry replaced by junk / key removed
        name = rng.choice(names)
        if rng.randrange(2):
            header[name] = rng.choice(JUNK_VALUES)
        else:
            header[name].pop(rng.choice(["dtype", "shape", "data_offsets"]))
        return "entry", join_safetensors(header, data)
    if kind == 6:  # metadata replaced
        header["__metadata__"] = rng.choice(JUNK_VALUES + [{"npgrad": rng.choice(["", "[]", "{}", "null", nested(100000, 0), '{"version":1}', '{"version":1,"root":' + nested(50000, 0) + "}"])}])
        return "metadata", join_safetensors(header, data)
    if kind == 7:  # structure node edits
        meta = header.get("__metadata__") or {}
        text = meta.get("npgrad", '{"version":1,"root":null}')
        doc = json.loads(text)
        doc["root"] = rng.choice([
            {"tensor": rng.choice(names + ["ghost"])}, {"tensor": 3}, {"dict": [[{"dict": []}, 1]]},
            {"dict": [[{"tuple": [{"list": []}]}, 1]]}, {"dict": [1, 2]}, {"dict": [[1]]},
            {"list": {"a": 1}}, {"float": "1e999"}, {"float": "nan"}, {"object": "os.system"},
            {"tensor": (names or ["a"])[0], "requires_grad": "yes"},
            {"tensor": (names or ["a"])[0], "requires_grad": True},
            {"npscalar": (names or ["a"])[0]}, {"ndarray": (names or ["a"])[0]},
            {"list": [{"list": [{"list": []}]}] * 3}, {"tuple": [1, {"dict": [[[1, 2], 3]]}]},
            {"ordered_dict": [[{"float": "inf"}, 1]]}, {"dict": [[{"ordered_dict": []}, 1]]},
            json.loads(nested(rng.choice([50, 500]), 0)), {"dict": [[nested(50, 0), 1]]}])
        meta = dict(meta) if isinstance(meta, dict) else {}
        meta["npgrad"] = json.dumps(doc)
        header["__metadata__"] = meta
        return "structure", join_safetensors(header, data)
    if kind == 8:  # JSON literal edits: huge numbers, NaN, duplicate keys
        text = json.dumps(header)
        text = text.replace("[", "[" + rng.choice(["1e999, ", "NaN, ", "-0, ", "9" * 5000 + ", ", "Infinity, "]), 1)
        return "json-literal", join_safetensors(None, data, text.encode())
    if kind == 9 and names:  # a tensor added that points into another
        e = dict(header[rng.choice(names)])
        header["extra"] = e
        return "duplicate-entry", join_safetensors(header, data)
    if kind == 10:  # header text cut or padded
        text = json.dumps(header).encode()
        cut = rng.randrange(len(text))
        return "header-cut", join_safetensors(None, data, rng.choice([text[:cut], text + b" " * cut, text + b"\x00", b"\xef\xbb\xbf" + text]))
    if kind == 11 and names:  # rename / swap two tensors
        if len(names) > 1:
            a, b = rng.sample(names, 2)
            header[a]["data_offsets"], header[b]["data_offsets"] = header[b]["data_offsets"], header[a]["data_offsets"]
            header[a]["shape"], header[b]["shape"] = header[b]["shape"], header[a]["shape"]
            header[a]["dtype"], header[b]["dtype"] = header[b]["dtype"], header[a]["dtype"]
            return "swap", join_safetensors(header, data)
    return byte_mutation(rng, blob)


def mutants(base, n, seed=0):
    rng = random.Random(seed)
    for _ in range(n):
        if rng.random() < 0.5:
            yield byte_mutation(rng, base)
        else:
            yield header_mutation(rng, base)


def rezip(blob, mutate):
    """``blob`` (a zip) with each record's bytes passed through ``mutate(name, data)`` and
    written with fresh, correct CRCs - so the fuzz reaches the parsers behind the CRC."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = mutate(info.filename, src.read(info))
            if data is not None:
                z.writestr(info.filename, data)
    return out.getvalue()


def zip_mutants(base, n, seed=0):
    """Mutations of a torch zip checkpoint: raw bytes (caught by CRCs or the zip parser),
    and the pickle / storage records changed behind valid CRCs."""
    rng = random.Random(seed)
    for _ in range(n):
        r = rng.random()
        if r < 0.4:
            yield byte_mutation(rng, base)
            continue
        if r < 0.85:
            def mutate(name, data):
                if name.endswith("data.pkl"):
                    return byte_mutation(rng, data)[1]
                return data
            yield "pickle", rezip(base, mutate)
            continue
        choice = rng.randrange(3)

        def mutate(name, data, choice=choice):
            if "/data/" in name:
                return [data[:-rng.randint(1, 4)], data + b"\0" * 4, None][choice]
            return data
        yield "storage", rezip(base, mutate)
