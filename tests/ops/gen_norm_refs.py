#!/usr/bin/python3
"""Generates tests/ops/norm_refs.h: reference cases for the normalisation
operators (InstanceNormalization, GroupNormalization, LayerNormalization,
RMSNormalization, MeanVarianceNormalization, LRN, LpNormalization), computed
here with numpy in float64 from the spec's formulas, independently of
onnxbn's C code. Inputs are rounded to the case's dtype first (float16 by
numpy, bfloat16 by rounding float32 to its top 16 bits), so the C test feeds
exactly the values the reference saw.

usage: gen_norm_refs.py > tests/ops/norm_refs.h
"""
import numpy as np

FLOAT, FLOAT16, DOUBLE, BFLOAT16 = 1, 10, 11, 16
# |got - want| <= tol * (1 + |want|): output rounding of the dtype plus the
# float arithmetic of the kernel
TOL = {FLOAT: 1e-5, DOUBLE: 1e-12, FLOAT16: 2e-3, BFLOAT16: 1.6e-2}

rng = np.random.default_rng(20240607)
cases = []


def to_dtype(v, dt):
    """Rounds float64 values to what dtype dt can hold, back as float64."""
    v = np.asarray(v, np.float64)
    if dt == DOUBLE:
        return v
    if dt == FLOAT16:
        return v.astype(np.float16).astype(np.float64)
    f = v.astype(np.float32)
    if dt == BFLOAT16:  # round to nearest even on the top 16 bits
        u = f.view(np.uint32).astype(np.uint64)
        u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
        f = u.astype(np.uint32).view(np.float32)
    return f.astype(np.float64)


def data(shape, dt, lo=-2.0, hi=2.0, offset=0.0):
    return to_dtype(rng.uniform(lo, hi, size=shape) + offset, dt)


def add(name, op, opset, inputs, outputs, attrs=(), tol_dt=None, tol=None):
    """inputs: (name, dtype, array, is_initializer); outputs: (name, dtype, array)."""
    dt = tol_dt if tol_dt is not None else outputs[0][1]
    cases.append(dict(name=name, op=op, opset=opset, inputs=inputs, outputs=outputs, attrs=list(attrs),
                      tol=tol if tol is not None else TOL[dt]))


def moments(x, axes):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return mean, var


# ---- InstanceNormalization: per (n, c) over the spatial axes
def instance_norm(x, s, b, eps):
    axes = tuple(range(2, x.ndim))
    mean, var = moments(x, axes) if axes else (x, np.zeros_like(x))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean) / np.sqrt(var + eps) * s.reshape(shape) + b.reshape(shape)


def in_case(name, opset, shape, dt, eps=None, init=True, offset=0.0, spread=2.0):
    x = data(shape, dt, -spread, spread, offset)
    c = shape[1]
    s, b = data((c,), dt, 0.5, 1.5), data((c,), dt, -1, 1)
    e = 1e-5 if eps is None else eps
    y = to_dtype(instance_norm(x, s, b, np.float32(e)), DOUBLE)
    attrs = [("epsilon", "f", e)] if eps is not None else []
    add(name, "InstanceNormalization", opset, [("x", dt, x, False), ("s", dt, s, init), ("b", dt, b, init)],
        [("y", dt, y)], attrs)


for v in (1, 6, 22):
    in_case(f"instance_v{v}_rank4", v, (2, 3, 4, 5), FLOAT)
in_case("instance_rank2_spatial1", 6, (3, 4), FLOAT)             # y = B exactly
in_case("instance_rank3_c1", 6, (2, 1, 7), FLOAT, eps=1e-2)
in_case("instance_rank5", 6, (1, 2, 3, 2, 4), FLOAT, init=False)  # parameters as graph inputs
in_case("instance_spatial1_rank4", 6, (2, 3, 1, 1), FLOAT)
in_case("instance_large_offset", 6, (1, 2, 16, 16), FLOAT, offset=1e4, spread=1.0)  # E[x^2]-E[x]^2 would cancel
in_case("instance_double", 6, (2, 2, 3, 3), DOUBLE)
in_case("instance_float16", 6, (2, 3, 4, 4), FLOAT16)
in_case("instance_bfloat16_v22", 22, (2, 3, 4, 4), BFLOAT16)


# ---- GroupNormalization: per (n, group) over the group's channels and space
def group_norm(x, s, b, groups, eps, per_group):
    n, c = x.shape[0], x.shape[1]
    xr = x.reshape(n, groups, -1)
    mean, var = moments(xr, (2,))
    norm = (xr - mean) / np.sqrt(var + eps)
    if per_group:  # version 18
        return (norm * s.reshape(1, groups, 1) + b.reshape(1, groups, 1)).reshape(x.shape)
    norm = norm.reshape(n, c, -1)
    return (norm * s.reshape(1, c, 1) + b.reshape(1, c, 1)).reshape(x.shape)


def gn_case(name, opset, shape, groups, dt, eps=None, init=True, offset=0.0, stash=None):
    x = data(shape, dt, -2, 2, offset)
    plen = groups if opset < 21 else shape[1]
    s, b = data((plen,), dt, 0.5, 1.5), data((plen,), dt, -1, 1)
    e = 1e-5 if eps is None else eps
    y = group_norm(x, s, b, groups, np.float32(e), opset < 21)
    attrs = [("num_groups", "i", groups)] + ([("epsilon", "f", e)] if eps is not None else [])
    if stash is not None:
        attrs.append(("stash_type", "i", stash))
    add(name, "GroupNormalization", opset, [("x", dt, x, False), ("s", dt, s, init), ("b", dt, b, init)],
        [("y", dt, y)], attrs)


for v in (18, 21):
    gn_case(f"group_v{v}_g2", v, (2, 4, 3, 3), 2, FLOAT)
    gn_case(f"group_v{v}_g1", v, (2, 6, 5), 1, FLOAT, eps=1e-3)       # one group: layer-norm like
    gn_case(f"group_v{v}_gc", v, (1, 4, 2, 2), 4, FLOAT, init=False)  # one channel per group
    gn_case(f"group_v{v}_rank2", v, (3, 6), 3, FLOAT)
    gn_case(f"group_v{v}_rank5", v, (1, 4, 2, 3, 2), 2, FLOAT)
gn_case("group_v21_large_offset", 21, (1, 4, 8, 8), 2, FLOAT, offset=1e4)
gn_case("group_v21_double", 21, (2, 4, 3), 2, DOUBLE)
gn_case("group_v21_double_stash", 21, (2, 4, 3), 2, FLOAT, stash=DOUBLE)
gn_case("group_v21_float16", 21, (2, 4, 3, 3), 2, FLOAT16)
gn_case("group_v18_bfloat16", 18, (2, 4, 3, 3), 2, BFLOAT16)


# ---- LayerNormalization / RMSNormalization over axes [axis, rank)
def layer_norm(x, s, b, axis, eps):
    axes = tuple(range(axis, x.ndim))
    mean, var = moments(x, axes) if axes else (x, np.zeros_like(x))
    inv = 1 / np.sqrt(var + eps)
    y = (x - mean) * inv * s
    return (y + b if b is not None else y), mean, inv


def ln_case(name, shape, axis, dt, bias=True, stats=False, eps=None, pshape=None, init=True, stash=None,
            offset=0.0):
    x = data(shape, dt, -2, 2, offset)
    a = axis + len(shape) if axis < 0 else axis
    norm_shape = shape[a:] if pshape is None else pshape
    s = data(norm_shape, dt, 0.5, 1.5)
    b = data(norm_shape, dt, -1, 1) if bias else None
    e = 1e-5 if eps is None else eps
    y, mean, inv = layer_norm(x, s, b, a, np.float32(e))
    stat_dt = FLOAT if stash is None else stash
    inputs = [("x", dt, x, False), ("s", dt, s, init)] + ([("b", dt, b, init)] if bias else [])
    outputs = [("y", dt, y)]
    if stats:
        outputs += [("mean", stat_dt, to_dtype(mean, stat_dt)), ("inv", stat_dt, to_dtype(inv, stat_dt))]
    attrs = [("axis", "i", axis)] + ([("epsilon", "f", e)] if eps is not None else [])
    if stash is not None:
        attrs.append(("stash_type", "i", stash))
    add(name, "LayerNormalization", 17, inputs, outputs, attrs, tol_dt=dt)


for r, shape in ((2, (3, 4)), (3, (2, 3, 4)), (4, (2, 2, 3, 2)), (5, (1, 2, 2, 3, 2))):
    for axis in range(-r, r + 1):
        ln_case(f"layer_rank{r}_axis{axis}".replace("-", "m"), shape, axis, FLOAT, stats=axis % 2 == 0,
                bias=axis != 1)
ln_case("layer_scale_broadcast", (2, 3, 4), 1, FLOAT, pshape=(1, 4), stats=True)
ln_case("layer_scale_scalar", (2, 3, 4), -1, FLOAT, pshape=(1,))
ln_case("layer_scale_leading_ones", (2, 3, 4), 1, FLOAT, pshape=(1, 3, 4), init=False)
ln_case("layer_epsilon", (2, 5), -1, FLOAT, eps=0.5, stats=True)
ln_case("layer_large_offset", (2, 64), -1, FLOAT, offset=1e4, stats=True)
ln_case("layer_double", (2, 3, 4), -2, DOUBLE, stats=True)
ln_case("layer_float16", (2, 3, 8), -1, FLOAT16, stats=True)
ln_case("layer_bfloat16", (2, 3, 8), -1, BFLOAT16, stats=True)
ln_case("layer_bfloat16_stash", (2, 3, 8), -1, FLOAT, stats=True, stash=BFLOAT16)


def rms_case(name, shape, axis, dt, vt=None, eps=None, pshape=None, init=True, stash=None):
    vt = dt if vt is None else vt
    x = data(shape, dt)
    a = axis + len(shape) if axis < 0 else axis
    s = data(shape[a:] if pshape is None else pshape, vt, 0.5, 1.5)
    e = 1e-5 if eps is None else eps
    ms = (x ** 2).mean(axis=tuple(range(a, len(shape))), keepdims=True)
    y = x / np.sqrt(ms + np.float32(e)) * s
    attrs = [("axis", "i", axis)] + ([("epsilon", "f", e)] if eps is not None else [])
    if stash is not None:
        attrs.append(("stash_type", "i", stash))
    add(name, "RMSNormalization", 23, [("x", dt, x, False), ("s", vt, s, init)], [("y", vt, y)], attrs)


for r, shape in ((2, (3, 4)), (3, (2, 3, 4)), (4, (2, 2, 3, 2))):
    for axis in range(-r, r):
        rms_case(f"rms_rank{r}_axis{axis}".replace("-", "m"), shape, axis, FLOAT)
rms_case("rms_scale_broadcast", (2, 3, 4), 1, FLOAT, pshape=(3, 1), init=False)
rms_case("rms_epsilon", (2, 5), -1, FLOAT, eps=0.25)
rms_case("rms_double", (2, 3, 4), -1, DOUBLE)
rms_case("rms_float16", (2, 16), -1, FLOAT16)
rms_case("rms_bfloat16", (2, 16), -1, BFLOAT16)
rms_case("rms_float16_in_float_out", (2, 8), -1, FLOAT16, vt=FLOAT)
rms_case("rms_float_in_float16_out", (2, 8), -1, FLOAT, vt=FLOAT16)
rms_case("rms_double_stash", (2, 8), -1, FLOAT, stash=DOUBLE)


# ---- MeanVarianceNormalization: (x - mean) / (sqrt(var) + 1e-9)
def mvn_case(name, opset, shape, axes, dt, offset=0.0):
    x = data(shape, dt, -2, 2, offset)
    red = tuple(range(len(shape))) if axes == [] else tuple(a % len(shape) for a in (axes or (0, 2, 3)))
    mean, var = moments(x, red)
    y = (x - mean) / (np.sqrt(var) + np.float32(1e-9))
    attrs = [] if axes is None else [("axes", "I", axes)]
    add(name, "MeanVarianceNormalization", opset, [("x", dt, x, False)], [("y", dt, y)], attrs)


for v in (9, 13):
    mvn_case(f"mvn_v{v}_default", v, (2, 3, 2, 4), None, FLOAT)
mvn_case("mvn_spatial", 13, (2, 3, 4, 5), [2, 3], FLOAT)
mvn_case("mvn_batch_channel", 13, (3, 4, 2, 2), [0, 1], FLOAT)      # innermost axes kept
mvn_case("mvn_channel", 13, (2, 5, 3), [1], FLOAT)
mvn_case("mvn_negative", 13, (2, 3, 4), [-1], FLOAT)
mvn_case("mvn_all_empty_list", 13, (2, 3, 4), [], FLOAT)
mvn_case("mvn_inner_block", 13, (3, 300), [0], FLOAT)               # kept block wider than 256
mvn_case("mvn_large_offset", 13, (2, 3, 8, 8), None, FLOAT, offset=1e4)
mvn_case("mvn_double", 13, (2, 3, 2, 2), None, DOUBLE)
mvn_case("mvn_float16", 9, (2, 3, 2, 2), None, FLOAT16)
mvn_case("mvn_bfloat16", 13, (2, 3, 2, 2), None, BFLOAT16)


# ---- LRN across channels
def lrn(x, size, alpha, beta, bias):
    c = x.shape[1]
    y = np.empty_like(x)
    for ch in range(c):
        lo, hi = max(0, ch - (size - 1) // 2), min(c - 1, ch + int(np.ceil((size - 1) / 2)))
        sq = (x[:, lo:hi + 1] ** 2).sum(axis=1)
        y[:, ch] = x[:, ch] / (bias + alpha / size * sq) ** beta
    return y


def lrn_case(name, opset, shape, size, dt, alpha=None, beta=None, bias=None):
    x = data(shape, dt)
    attrs = [("size", "i", size)]
    for key, val in (("alpha", alpha), ("beta", beta), ("bias", bias)):
        if val is not None:
            attrs.append((key, "f", val))
    a = np.float32(1e-4 if alpha is None else alpha)
    b = np.float32(0.75 if beta is None else beta)
    c = np.float32(1.0 if bias is None else bias)
    add(name, "LRN", opset, [("x", dt, x, False)], [("y", dt, lrn(x, size, a, b, c))], attrs)


lrn_case("lrn_v1_size3", 1, (2, 5, 3, 3), 3, FLOAT, alpha=0.1, beta=0.5, bias=2.0)
lrn_case("lrn_v13_defaults", 13, (1, 4, 2, 2), 5, FLOAT)
lrn_case("lrn_even_size", 13, (1, 6, 2, 3), 4, FLOAT, alpha=0.5)    # window 1 before, 2 after
lrn_case("lrn_size1", 13, (2, 3, 4), 1, FLOAT, alpha=1.0, beta=1.0)
lrn_case("lrn_window_wider_than_c", 13, (2, 2, 3, 3), 7, FLOAT, alpha=0.3)
lrn_case("lrn_rank2", 13, (3, 5), 3, FLOAT, alpha=0.2)
lrn_case("lrn_rank5", 13, (1, 4, 2, 2, 3), 3, FLOAT, alpha=0.2)
lrn_case("lrn_plane_blocks", 13, (1, 3, 20, 20), 3, FLOAT, alpha=0.2)  # plane wider than one block
lrn_case("lrn_double", 13, (1, 5, 2, 2), 3, DOUBLE, alpha=0.2)
lrn_case("lrn_float16", 1, (1, 5, 2, 2), 3, FLOAT16, alpha=0.2)
lrn_case("lrn_bfloat16", 13, (1, 5, 2, 2), 3, BFLOAT16, alpha=0.2)


# ---- LpNormalization
def lp_case(name, opset, shape, axis, p, dt, zero_slice=False):
    x = data(shape, dt)
    if zero_slice:  # one vector along the axis all zeros: zero output
        idx = [0] * len(shape)
        idx[axis] = slice(None)
        x[tuple(idx)] = 0
    norm = np.abs(x).sum(axis=axis, keepdims=True) if p == 1 else np.sqrt((x ** 2).sum(axis=axis, keepdims=True))
    y = np.where(norm == 0, 0.0, x / np.where(norm == 0, 1.0, norm))
    attrs = [] if axis == -1 else [("axis", "i", axis)]
    if p != 2:
        attrs.append(("p", "i", p))
    add(name, "LpNormalization", opset, [("x", dt, x, False)], [("y", dt, y)], attrs)


for v in (1, 22):
    lp_case(f"lp_v{v}_default", v, (2, 3, 4), -1, 2, FLOAT)
    lp_case(f"lp_v{v}_l1_axis0", v, (3, 4), 0, 1, FLOAT)
lp_case("lp_l2_axis1", 1, (2, 3, 4), 1, 2, FLOAT)
lp_case("lp_l1_axis_m2", 1, (2, 3, 4), -2, 1, FLOAT)
lp_case("lp_zero_vector", 1, (3, 4), 1, 2, FLOAT, zero_slice=True)
lp_case("lp_zero_vector_l1_inner", 1, (3, 2, 4), 0, 1, FLOAT, zero_slice=True)
lp_case("lp_inner_blocks", 1, (2, 3, 300), 1, 2, FLOAT)             # inner wider than one block
lp_case("lp_rank1", 1, (7,), 0, 2, FLOAT)
lp_case("lp_double", 1, (2, 5), -1, 1, DOUBLE)
lp_case("lp_float16", 1, (2, 5), -1, 2, FLOAT16)
lp_case("lp_bfloat16_v22", 22, (2, 5), 0, 2, BFLOAT16)


def c_array(v, dt, exact):
    """Values as C literals: inputs exactly (the shortest text that rounds
    back to the same float32, or double), references of non-double outputs
    to 10 significant digits."""
    flat = np.asarray(v, np.float64).ravel()
    if dt == DOUBLE:
        text = (repr(float(f)) for f in flat)
    elif exact:
        text = (repr(np.float32(f)) for f in flat)
    else:
        text = (f"{f:.10g}" for f in flat)
    return "{" + ", ".join(text) + "}"


def dims(a):
    shape = np.shape(a)
    return len(shape), "{" + ", ".join(str(d) for d in shape) + "}" if shape else "{0}"


def main():
    out = ["/* Generated by tests/ops/gen_norm_refs.py (numpy, float64 references from the spec formulas);",
           " * do not edit. */", "#ifndef OBN_TESTS_NORM_REFS_H", "#define OBN_TESTS_NORM_REFS_H", "",
           "#include \"norm_ref_case.h\"", ""]
    for i, c in enumerate(cases):
        for k, t in enumerate(c["inputs"]):
            out.append(f"static const double nr{i}_in{k}[] = {c_array(t[2], t[1], True)};")
        for k, t in enumerate(c["outputs"]):
            out.append(f"static const double nr{i}_out{k}[] = {c_array(t[2], t[1], False)};")
    out.append("")
    out.append("static const nr_case nr_cases[] = {")
    for i, c in enumerate(cases):
        ins = []
        for k, (name, dt, arr, init) in enumerate(c["inputs"]):
            r, d = dims(arr)
            ins.append(f"{{\"{name}\", {dt}, {r}, {d}, {int(init)}, nr{i}_in{k}}}")
        outs = []
        for k, (name, dt, arr) in enumerate(c["outputs"]):
            r, d = dims(arr)
            outs.append(f"{{\"{name}\", {dt}, {r}, {d}, 0, nr{i}_out{k}}}")
        attrs = []
        for name, kind, val in c["attrs"]:
            if kind == "i":
                attrs.append(f"{{\"{name}\", NR_INT, {val}, 0, 0, {{0}}}}")
            elif kind == "f":
                attrs.append(f"{{\"{name}\", NR_FLOAT, 0, {float(np.float32(val))!r}f, 0, {{0}}}}")
            else:
                vals = ", ".join(str(a) for a in val) or "0"
                attrs.append(f"{{\"{name}\", NR_INTS, 0, 0, {len(val)}, {{{vals}}}}}")
        out.append(f"    {{\"{c['name']}\", \"{c['op']}\", {c['opset']}, {len(ins)}, {{{', '.join(ins)}}}, "
                   f"{len(outs)}, {{{', '.join(outs)}}}, {len(attrs)}, {{{', '.join(attrs) or '{0}'}}}, "
                   f"{c['tol']!r}}},")
    out.append("};")
    out.append("")
    out.append("#endif")
    print("\n".join(out))


main()
