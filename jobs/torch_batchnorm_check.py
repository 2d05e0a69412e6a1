#!/usr/bin/env python3
"""Cross-checks gnsweep's BatchNorm layer against PyTorch's torch.nn.functional.batch_norm.

Run by io.gnsweep.layer.BatchNormTorchTest, which writes per case (little-endian raw, C order, float64 or
float32) x1..xK (the K training batches), dy, gamma, beta, our layer's training-mode y, dx, dgamma, dbeta on
x1, the running mean and running statistic after fitting the K batches (a variance, or log10 std), a probe
batch and our inference output on it, plus manifest.json. Usage: torch_batchnorm_check.py DIR [--float32-tolerance X]

PyTorch, in float64 (a float32 case's values are upcast exactly):
- y, dx, dgamma, dbeta: F.batch_norm(training=True) on x1 and autograd of sum(y * dy);
- running mean: F.batch_norm(training=True, momentum=0.1) over x1..xK from 0: momentum 0.1 is DL4J's decay 0.9;
- running variance: PyTorch's running_var averages the unbiased batch variance u = b * M / (M - 1), DL4J the
  biased one b. Per batch, F.batch_norm with momentum=1.0 on a scratch buffer yields PyTorch's own u; the
  reference is then v <- 0.9 v + 0.1 u (M - 1) / M from v = 1. PyTorch's running_var is printed beside it
  (it differs by the bias, ~1/M);
- inference: F.batch_norm(training=False) on the probe with that running mean and variance.
Per array it prints max_abs = max |ours - ref| and rel = max_abs / max(1, max |ref|). Exit status: 0 all
within tolerance (rel <= 1e-12 for float64 cases, 1e-6 for float32 or --float32-tolerance X), 1 a case is off,
2 bad input.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

TOLERANCE = {"float64": 1e-12, "float32": 1e-6}


def read(folder, case, name, shape):
    dtype = np.dtype("<f8") if case["dtype"] == "float64" else np.dtype("<f4")
    a = np.fromfile(os.path.join(folder, "%s.%s.bin" % (case["name"], name)), dtype=dtype)
    if a.size != int(np.prod(shape)):
        raise ValueError("%s.%s: %d values, expected %s" % (case["name"], name, a.size, shape))
    return torch.from_numpy(a.astype(np.float64).reshape(shape))


def check(case, folder):
    shape = tuple(case["shape"])
    c = shape[1]
    m = int(np.prod(shape)) // c
    eps = case["eps"]
    t = lambda name, s=shape: read(folder, case, name, s)
    gamma, beta = t("gamma", (c,)), t("beta", (c,))
    xs = [t("x%d" % k) for k in range(1, case["batches"] + 1)]
    out = []

    x = xs[0].clone().requires_grad_(True)
    g = gamma.clone().requires_grad_(True)
    b = beta.clone().requires_grad_(True)
    y = F.batch_norm(x, None, None, g, b, training=True, eps=eps)
    (y * t("dy")).sum().backward()
    out += [("y", t("y"), y.detach()), ("dx", t("dx"), x.grad), ("dgamma", t("dgamma", (c,)), g.grad),
            ("dbeta", t("dbeta", (c,)), b.grad)]

    run_mean = torch.zeros(c, dtype=torch.float64)
    torch_var = torch.ones(c, dtype=torch.float64)
    ref_var = torch.ones(c, dtype=torch.float64)
    for xk in xs:
        F.batch_norm(xk, run_mean, torch_var, None, None, training=True, momentum=0.1, eps=eps)
        unbiased = torch.zeros(c, dtype=torch.float64)
        F.batch_norm(xk, torch.zeros(c, dtype=torch.float64), unbiased, None, None, training=True, momentum=1.0,
                     eps=eps)
        ref_var = 0.9 * ref_var + 0.1 * unbiased * (m - 1) / m
    stat = t("run_stat", (c,))
    our_var = (10.0 ** stat) ** 2 if case["log_std"] else stat
    out += [("run_mean", t("run_mean", (c,)), run_mean), ("run_var", our_var, ref_var)]

    probe_shape = tuple(case["probe_shape"])
    y_inf = F.batch_norm(t("probe", probe_shape), run_mean, ref_var, gamma, beta, training=False, eps=eps)
    out.append(("y_inference", t("y_inference", probe_shape), y_inf))

    ok = True
    for name, ours, ref in out:
        max_abs = float((ours - ref).abs().max())
        rel = max_abs / max(1.0, float(ref.abs().max()))
        good = rel <= TOLERANCE[case["dtype"]]
        ok &= good
        print("%-28s %-12s max_abs %.3e rel %.3e %s" % (case["name"], name, max_abs, rel, "ok" if good else "OFF"))
    gap = float((torch_var - ref_var).abs().max()) / float(ref_var.abs().max())
    print("%-28s %-12s PyTorch's unbiased running_var differs from DL4J's rule by rel %.3e"
          % (case["name"], "(note)", gap))
    return ok


def main():
    if len(sys.argv) == 4 and sys.argv[2] == "--float32-tolerance":
        TOLERANCE["float32"] = float(sys.argv[3])
    elif len(sys.argv) != 2:
        print("usage: torch_batchnorm_check.py DIR [--float32-tolerance X]", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    try:
        with open(os.path.join(sys.argv[1], "manifest.json"), encoding="utf-8") as f:
            cases = json.load(f)["cases"]
        results = [check(case, sys.argv[1]) for case in cases]
    except (OSError, ValueError, KeyError) as e:
        print("bad input: %s" % e, file=sys.stderr)
        return 2
    print("torch %s: %d cases, %d off" % (torch.__version__, len(results), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
