#!/usr/bin/env python3
"""Cross-checks gnsweep's GroupNorm layer against PyTorch's torch.nn.functional.group_norm.

The layer is modelled on labml.ai's annotated GroupNorm, written in PyTorch; this compares our
forward y and backward dx, dgamma, dbeta with PyTorch's group_norm forward and autograd backward,
computed in float64 on CUDA (when available) and on the CPU, and with a plain numpy float64
implementation of the textbook formulas.

1. Produce the vectors (Java side; our layer, on the machine with Java/Maven):
       mvn -o -q test-compile
       java -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" \
           io.gnsweep.layer.TorchVectors .devcheck/vectors
   This writes <case>.{x,gamma,beta,dy,y,dx,dgamma,dbeta}.bin (little-endian raw, C order, float64 or
   float32 per case) and manifest.json.
2. Run this (python3 with numpy and torch; a GPU is used when torch sees one):
       python3 jobs/torch_groupnorm_check.py .devcheck/vectors

Per case, array and reference it prints max_abs = max |ours - ref| and rel = max_abs / max |ref|
(relative to the array's largest magnitude: element-wise relative errors are meaningless for values
near zero). References are always computed in float64; a float32 case's inputs are upcast exactly,
and for scale torch's own float32 result's error against the float64 reference is printed too.
Exit status: 0 all within tolerance (rel <= 1e-9 for float64 cases, 1e-4 for float32 cases),
1 a case is off, 2 bad input or torch missing (--no-torch compares with numpy alone).
"""
import json
import os
import sys

import numpy as np

ARRAYS = ("x", "gamma", "beta", "dy", "y", "dx", "dgamma", "dbeta")
TOLERANCE = {"float64": 1e-9, "float32": 1e-4}


def load(folder):
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    cases = []
    for case in manifest["cases"]:
        dtype = np.dtype("<f8") if case["dtype"] == "float64" else np.dtype("<f4")
        shape = tuple(case["shape"])
        c = shape[1]
        arrays = {}
        for name in ARRAYS:
            path = os.path.join(folder, "%s.%s.bin" % (case["name"], name))
            a = np.fromfile(path, dtype=dtype)
            want = (c,) if name in ("gamma", "beta", "dgamma", "dbeta") else shape
            if a.size != int(np.prod(want)):
                raise ValueError("%s: %d values, expected %s" % (path, a.size, want))
            arrays[name] = a.reshape(want)
        cases.append((case, arrays))
    return manifest, cases


def numpy_reference(x, gamma, beta, dy, groups, eps):
    """GroupNorm forward and backward in float64 from the definition (two-pass variance)."""
    x, gamma, beta, dy = (np.asarray(a, dtype=np.float64) for a in (x, gamma, beta, dy))
    n, c = x.shape[:2]
    xs = x.reshape(n, groups, -1)
    mean = xs.mean(axis=2, keepdims=True)
    var = ((xs - mean) ** 2).mean(axis=2, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    xhat = ((xs - mean) * rstd).reshape(x.shape)
    bshape = (1, c) + (1,) * (x.ndim - 2)
    y = xhat * gamma.reshape(bshape) + beta.reshape(bshape)
    axes = (0,) + tuple(range(2, x.ndim))
    dbeta = dy.sum(axis=axes)
    dgamma = (dy * xhat).sum(axis=axes)
    g = (dy * gamma.reshape(bshape)).reshape(n, groups, -1)
    xh = xhat.reshape(n, groups, -1)
    dx = rstd * (g - g.mean(axis=2, keepdims=True) - xh * (g * xh).mean(axis=2, keepdims=True))
    return {"y": y, "dx": dx.reshape(x.shape), "dgamma": dgamma, "dbeta": dbeta}


def torch_reference(torch, x, gamma, beta, dy, groups, eps, device, dtype):
    t = lambda a, grad: torch.tensor(np.asarray(a, dtype=np.float64), dtype=dtype, device=device,
                                     requires_grad=grad)
    xt, gt, bt, dyt = t(x, True), t(gamma, True), t(beta, True), t(dy, False)
    y = torch.nn.functional.group_norm(xt, groups, gt, bt, eps)
    y.backward(dyt)
    out = {"y": y, "dx": xt.grad, "dgamma": gt.grad, "dbeta": bt.grad}
    return {k: v.detach().to("cpu", torch.float64).numpy() for k, v in out.items()}


def compare(ours, ref):
    ours = np.asarray(ours, dtype=np.float64)
    diff = np.abs(ours - ref)
    max_abs = float(diff.max())
    scale = float(np.abs(ref).max())
    return max_abs, (max_abs / scale if scale > 0 else max_abs)


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    no_torch = "--no-torch" in argv
    folder = args[0] if args else ".devcheck/vectors"
    try:
        manifest, cases = load(folder)
    except (OSError, ValueError, KeyError) as e:
        print("cannot read vectors in %s: %s" % (folder, e), file=sys.stderr)
        return 2
    torch = None
    devices = []
    if not no_torch:
        try:
            import torch as _torch
        except ImportError:
            print("torch is not installed (use --no-torch for the numpy comparison alone)", file=sys.stderr)
            return 2
        torch = _torch
        torch.backends.cudnn.deterministic = True
        if torch.cuda.is_available():
            devices.append("cuda")
        devices.append("cpu")
        print("torch %s, devices: %s%s" % (torch.__version__, ", ".join(devices),
              " (%s)" % torch.cuda.get_device_name(0) if "cuda" in devices else ""))
    print("numpy %s; vectors from %s (%s backend)" % (np.__version__, folder, manifest.get("nd4j_backend", "?")))
    print("%-30s %-7s %-15s %-6s %12s %12s  %s" % ("case", "dtype", "reference", "array", "max_abs", "rel", ""))
    failed = []
    for case, a in cases:
        tol = TOLERANCE[case["dtype"]]
        refs = [("numpy-f64", numpy_reference(a["x"], a["gamma"], a["beta"], a["dy"], case["groups"], case["eps"]))]
        for device in devices:
            refs.append(("torch-%s-f64" % device, torch_reference(torch, a["x"], a["gamma"], a["beta"], a["dy"],
                                                                 case["groups"], case["eps"], device, torch.float64)))
        for label, ref in refs:
            for name in ("y", "dx", "dgamma", "dbeta"):
                max_abs, rel = compare(a[name], ref[name])
                ok = rel <= tol
                if not ok:
                    failed.append("%s %s %s" % (case["name"], label, name))
                print("%-30s %-7s %-15s %-6s %12.3e %12.3e  %s" % (case["name"], case["dtype"], label, name,
                                                                   max_abs, rel, "ok" if ok else "OFF (tol %g)" % tol))
        if case["dtype"] == "float32":
            # for scale: torch's own float32 result against its float64 one, same inputs
            for device in devices:
                t32 = torch_reference(torch, a["x"], a["gamma"], a["beta"], a["dy"], case["groups"], case["eps"],
                                      device, torch.float32)
                t64 = dict(refs)["torch-%s-f64" % device]
                for name in ("y", "dx", "dgamma", "dbeta"):
                    max_abs, rel = compare(t32[name], t64[name])
                    print("%-30s %-7s %-15s %-6s %12.3e %12.3e  %s" % (case["name"], "(torch)", "torch-%s-f32" % device,
                                                                       name, max_abs, rel, "torch f32 vs f64, info"))
    if failed:
        print("FAILED: %d comparisons beyond tolerance: %s" % (len(failed), "; ".join(failed)))
        return 1
    print("all %d cases within tolerance (float64 rel <= %g, float32 rel <= %g)"
          % (len(cases), TOLERANCE["float64"], TOLERANCE["float32"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
