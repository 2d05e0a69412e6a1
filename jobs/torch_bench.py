#!/usr/bin/env python3
"""gnsweep vs PyTorch on one core: the same trials trained by `gnsweep train` and by jobs/torch_speed.py.

    /usr/bin/python3 jobs/torch_bench.py bench [--configs LIST] [--rounds N] [--epochs E] [--jar JAR] [--csv FILE]
                                               [--cpu CPU]
    /usr/bin/python3 jobs/torch_bench.py params [--configs LIST]
    /usr/bin/python3 jobs/torch_bench.py args [--configs LIST]

`bench` runs every trial of the list on both sides (gnsweep with the garbage collector jobs/sweep.sh gives its
JVMs, GNSWEEP_GC_OPTS, default -XX:+UseParallelGC), one process at a time, A B A B ... (gnsweep, then PyTorch;
--rounds pairs per trial, the rounds the outer loop so that a disturbance of the machine spreads over trials),
each with one native thread (threads=1, OMP_NUM_THREADS=1, MKL_NUM_THREADS=1; torch.set_num_threads(1)). The
figure is the training epoch's own time on each side: gnsweep's epoch line (Trainer's per-epoch train time,
evaluation excluded), PyTorch's epoch loop between two clock reads (start-up, data loading and evaluation
excluded). The ratio is gnsweep's images/s over PyTorch's, taken pair by pair, median reported (below 1: PyTorch
is faster). The whole command's wall time (JVM or interpreter start, data loading, one epoch, evaluation of
the test images) is reported beside it. With --epochs E (or BENCH_TORCH_EPOCHS; default 1) each side trains E
epochs and the figure is the last epoch's: from E = 2 on, the steady state (without the JVM's warm-up in
gnsweep's first epoch). Beside it, from each side's step-times file (train's and torch_speed.py's key), that
epoch's first step and its median step: where a one-epoch ratio comes from. A trial whose two networks differ
in parameter count (DL4J's count: BatchNorm's running statistics included) or whose run fails makes the exit
status 1.
`params` prints each trial's PyTorch parameter count and `args` its key=value arguments (one trial a line,
tab-separated), for the Java test that compares the counts with gnsweep's networks.

A list (--configs, or BENCH_TORCH_CONFIGS) is `default`, `smoke`, `full`, or trials separated by commas, each a
few words: the model (small-cnn | vgg-cifar | resnet) and any of wX (model-width), dN (model-depth), a norm
(group | batch | layer | instance | none), gN (groups), bsN (batch-size), nN (training images), sgd (the ResNet
protocol's optimiser: SGD, momentum 0.9, weight decay 5e-4 on weights, lr 0.1 * N / 32; constant rate, no
augmentation), e.g. "vgg-cifar w0.25 group bs2 n600, resnet d20 w0.5 batch bs32 n1024 sgd". Otherwise the
trial takes train's defaults (Adam at lr 2.5e-4, G = 8, seed 1), one epoch, on the Fashion-MNIST subset in the
jar (src/main/resources/gnsweep/data/fashion-mnist-subset for PyTorch), tested on its first 250 test images.
"""
import argparse
import csv
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_speed  # noqa: E402

ROOT = torch_speed.ROOT
DATA = "classpath:gnsweep/data/fashion-mnist-subset"
TEST_LIMIT = 250
NORMS = ("group", "batch", "layer", "instance", "none")

# Sized so that one epoch takes a few seconds on each side on an idle 2-core machine: `default` about 20 minutes
# there (2 rounds), `smoke` about one, `full` about twice the default; on a machine shared with other work, more.
LISTS = {
    "smoke": "small-cnn group bs4 n200, resnet d8 w0.25 group g4 bs2 n100 sgd",
    "default": ", ".join([
        "vgg-cifar w0.25 group bs2 n600", "vgg-cifar w0.25 batch bs2 n600",
        "small-cnn group bs4 n2000", "small-cnn batch bs4 n2000",
        "vgg-cifar w0.25 group bs8 n2000", "vgg-cifar w0.25 batch bs8 n2000",
        "vgg-cifar w0.25 group bs32 n4000", "vgg-cifar w0.25 batch bs32 n4000",
        "small-cnn group bs32 n8000", "small-cnn batch bs32 n8000",
        "small-cnn group bs128 n10000", "small-cnn batch bs128 n10000",
        "vgg-cifar w1 group bs32 n512", "vgg-cifar w1 batch bs32 n512",
        "resnet d20 w0.5 group g4 bs2 n600 sgd", "resnet d20 w0.5 batch bs2 n600 sgd",
        "resnet d20 w0.5 group g4 bs32 n2000 sgd", "resnet d20 w0.5 batch bs32 n2000 sgd",
        "resnet d20 w1 group bs32 n1024 sgd", "resnet d20 w1 batch bs32 n1024 sgd",
    ]),
}
LISTS["full"] = LISTS["default"] + ", " + ", ".join([
    "vgg-cifar w1 group bs2 n64", "vgg-cifar w1 batch bs2 n64",
    "small-cnn group bs2 n1000", "small-cnn batch bs2 n1000", "small-cnn group bs8 n4000", "small-cnn batch bs8 n4000",
    "vgg-cifar w0.25 group bs4 n1000", "vgg-cifar w0.25 batch bs4 n1000",
    "vgg-cifar w0.25 group bs128 n8192", "vgg-cifar w0.25 batch bs128 n8192",
    "vgg-cifar w1 group bs8 n256", "vgg-cifar w1 batch bs8 n256",
    "resnet d20 w1 group bs2 n200 sgd", "resnet d20 w1 batch bs2 n200 sgd",
    "resnet d20 w0.5 group g4 bs128 n4096 sgd", "resnet d20 w0.5 batch bs128 n4096 sgd",
])


class Trial:
    """One trial of a list: its label and the key=value arguments both sides get."""

    def __init__(self, text):
        words = text.split()
        if not words or words[0] not in ("small-cnn", "vgg-cifar", "resnet"):
            raise torch_speed.UsageError("trial '%s': starts with a model (small-cnn | vgg-cifar | resnet)" % text)
        self.model, self.width, self.depth, self.norm = words[0], "1", None, "group"
        self.groups, self.batch, self.images, self.sgd = "8", None, None, False
        for w in words[1:]:
            m = re.fullmatch(r"(w|d|g|bs|n)([0-9.]+)", w)
            if w in NORMS:
                self.norm = w
            elif w == "sgd":
                self.sgd = True
            elif m:
                key, value = m.groups()
                setattr(self, {"w": "width", "d": "depth", "g": "groups", "bs": "batch", "n": "images"}[key], value)
            else:
                raise torch_speed.UsageError("trial '%s': unknown word '%s'" % (text, w))
        if self.batch is None or self.images is None:
            raise torch_speed.UsageError("trial '%s': needs bsN (batch size) and nN (training images)" % text)
        if self.depth and self.model != "resnet":
            raise torch_speed.UsageError("trial '%s': dN applies to resnet only" % text)
        self.steps = int(self.images) // int(self.batch)
        if self.steps < 1:
            raise torch_speed.UsageError("trial '%s': fewer images than one batch" % text)

    @property
    def label(self):
        m = self.model + ("-" + self.depth if self.model == "resnet" and self.depth else "")
        w = " w" + self.width if self.width != "1" or self.model != "small-cnn" else ""
        norm = self.norm + (" G" + self.groups if self.norm == "group" and self.groups != "8" else "")
        return "%s%s %s bs%s%s (%d images)" % (m, w, norm, self.batch, " sgd" if self.sgd else "",
                                               self.steps * int(self.batch))

    def args(self, threads=1, epochs=1):
        a = ["model=" + self.model, "model-width=" + self.width, "norm=" + self.norm, "batch-size=" + self.batch,
             "epochs=%d" % epochs, "seed=1", "dataset.path=" + DATA, "dataset.train-limit=" + self.images,
             "dataset.test-limit=%d" % TEST_LIMIT, "threads=%d" % threads]
        if self.norm == "group":
            a.append("groups=" + self.groups)
        if self.depth:
            a.append("model-depth=" + self.depth)
        if self.sgd:
            a += ["optimizer=sgd", "momentum=0.9", "weight-decay=5e-4", "lr=%g" % (0.1 * int(self.batch) / 32)]
        return a


def trials(spec):
    text = LISTS.get(spec.strip(), spec)
    return [Trial(t.strip()) for t in text.split(",") if t.strip()]


GN_EPOCH = re.compile(r"^epoch ([0-9]+)/([0-9]+) .*test_accuracy ([0-9.]+)%\s+([0-9.]+) images/s\s+\(([0-9.]+) s\)",
                      re.M)
GN_DONE = re.compile(r"^done: .*, ([0-9]+) parameters", re.M)


def one_run(cmd, env, log):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - t0
    log.write("$ %s\n%s\n" % (" ".join(cmd), p.stdout))
    log.flush()
    return p.returncode, p.stdout, wall


def step_times(path, epochs):
    """The last epoch's steps from a step-times file (epoch, step, ms): its first step and the median step, ms."""
    with open(path, encoding="utf-8") as f:
        rows = [line.split("\t") for line in f.read().splitlines()[1:]]
    ms = [float(r[2]) for r in rows if r[0] == str(epochs)]
    return {"first_step_ms": ms[0], "median_step_ms": med(ms)} if ms else {}


def run_gnsweep(java, jar, trial, env, log, tmp, epochs=1):
    steps_file = os.path.join(tmp, "gnsweep-steps.tsv")
    rc, out, wall = one_run(java + ["-jar", jar, "train"] + trial.args(epochs=epochs)
                            + ["step-times=" + steps_file], env, log)
    last = [m for m in GN_EPOCH.finditer(out) if m.group(1) == m.group(2) == str(epochs)]
    e, d = (last[-1] if last else None), GN_DONE.search(out)
    if rc != 0 or not e or not d:
        return {"error": "gnsweep train exit %d: %s" % (rc, out.strip().splitlines()[-1:] or "")}
    images = trial.steps * int(trial.batch)
    ips = float(e.group(4))   # printed to the unit; epoch time derived from it keeps that precision
    return dict(step_times(steps_file, epochs), images_per_s=ips, epoch_s=images / ips, params=int(d.group(1)),
                cmd_s=wall, test_accuracy=float(e.group(3)) / 100)


def run_torch(python, trial, env, log, tmp, epochs=1):
    out_json, steps_file = os.path.join(tmp, "torch.json"), os.path.join(tmp, "torch-steps.tsv")
    rc, out, wall = one_run(python + [os.path.join(ROOT, "jobs", "torch_speed.py"), "--json", out_json]
                            + trial.args(epochs=epochs) + ["step-times=" + steps_file], env, log)
    if rc != 0:
        return {"error": "torch_speed exit %d: %s" % (rc, out.strip().splitlines()[-1:] or "")}
    import json
    with open(out_json, encoding="utf-8") as f:
        r = json.load(f)
    e = r["epochs"][-1]
    return dict(step_times(steps_file, epochs), images_per_s=e["images_per_s"], epoch_s=e["epoch_s"],
                params=r["params"], cmd_s=wall, test_accuracy=e["test_accuracy"], torch_version=r["torch_version"],
                threads=r["threads"])


def med(xs):
    return statistics.median(xs) if xs else float("nan")


COLUMNS = ["trial", "model", "width", "depth", "norm", "groups", "batch_size", "optimizer", "images", "steps", "pairs",
           "gnsweep_images_per_s", "torch_images_per_s", "ratio_gnsweep_over_torch", "ratio_min", "ratio_max",
           "gnsweep_ms_per_step", "torch_ms_per_step", "gnsweep_cmd_s", "torch_cmd_s", "cmd_ratio_gnsweep_over_torch",
           "gnsweep_params", "torch_params", "gnsweep_test_accuracy", "torch_test_accuracy", "status", "epochs",
           "gnsweep_first_step_ms", "torch_first_step_ms", "gnsweep_median_step_ms", "torch_median_step_ms"]


def summarise(trial, pairs, epochs=1):
    ok = [(a, b) for a, b in pairs if "error" not in a and "error" not in b]
    errors = [r["error"] for p in pairs for r in p if "error" in r]
    row = {"trial": trial.label, "model": trial.model, "width": trial.width,
           "depth": trial.depth or ("20" if trial.model == "resnet" else ""), "norm": trial.norm,
           "groups": trial.groups if trial.norm == "group" else "", "batch_size": trial.batch,
           "optimizer": "sgd" if trial.sgd else "adam", "images": trial.steps * int(trial.batch),
           "steps": trial.steps, "pairs": len(ok), "epochs": epochs}
    status = "ok"
    if ok:
        ga = [a["images_per_s"] for a, _ in ok]
        tb = [b["images_per_s"] for _, b in ok]
        ratios = [a["images_per_s"] / b["images_per_s"] for a, b in ok]
        bs = int(trial.batch)
        row.update({
            "gnsweep_images_per_s": "%.1f" % med(ga), "torch_images_per_s": "%.1f" % med(tb),
            "ratio_gnsweep_over_torch": "%.2f" % med(ratios), "ratio_min": "%.2f" % min(ratios),
            "ratio_max": "%.2f" % max(ratios),
            "gnsweep_ms_per_step": "%.2f" % med([1000 * bs / x for x in ga]),
            "torch_ms_per_step": "%.2f" % med([1000 * bs / x for x in tb]),
            "gnsweep_cmd_s": "%.2f" % med([a["cmd_s"] for a, _ in ok]),
            "torch_cmd_s": "%.2f" % med([b["cmd_s"] for _, b in ok]),
            "cmd_ratio_gnsweep_over_torch": "%.2f" % med([a["cmd_s"] / b["cmd_s"] for a, b in ok]),
            "gnsweep_params": ok[0][0]["params"], "torch_params": ok[0][1]["params"],
            "gnsweep_test_accuracy": "%.3f" % med([a["test_accuracy"] for a, _ in ok]),
            "torch_test_accuracy": "%.3f" % med([b["test_accuracy"] for _, b in ok])})
        for side, k in (("gnsweep", 0), ("torch", 1)):
            for key in ("first_step_ms", "median_step_ms"):
                row["%s_%s" % (side, key)] = "%.2f" % med([p[k][key] for p in ok])
        if any(a["params"] != b["params"] for a, b in ok):
            status = "PARAMS_DIFFER"
    if errors:
        status = ("FAILED: " + errors[0]) if status == "ok" else status + "; FAILED: " + errors[0]
    row["status"] = status
    return row


def print_table(rows, out):
    head = ["trial", "gnsweep img/s", "PyTorch img/s", "ratio", "(min-max)", "ms/step gnsweep", "ms/step PyTorch",
            "step 1 ms (g / t)", "median step ms (g / t)", "whole cmd s (g / t)", "params", "status"]
    lines = [head]
    for r in rows:
        if r.get("pairs"):
            lines.append([r["trial"], r["gnsweep_images_per_s"], r["torch_images_per_s"], r["ratio_gnsweep_over_torch"],
                          "%s-%s" % (r["ratio_min"], r["ratio_max"]), r["gnsweep_ms_per_step"], r["torch_ms_per_step"],
                          "%s / %s" % (r["gnsweep_first_step_ms"], r["torch_first_step_ms"]),
                          "%s / %s" % (r["gnsweep_median_step_ms"], r["torch_median_step_ms"]),
                          "%s / %s" % (r["gnsweep_cmd_s"], r["torch_cmd_s"]), str(r["gnsweep_params"]), r["status"]])
        else:
            lines.append([r["trial"]] + [""] * (len(head) - 2) + [r["status"]])
    widths = [max(len(str(l[i])) for l in lines) for i in range(len(head))]
    for i, l in enumerate(lines):
        out.write("  ".join(str(c).ljust(w) if j == 0 else str(c).rjust(w) for j, (c, w) in enumerate(zip(l, widths)))
                  .rstrip() + "\n")
        if i == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def write_csv(path, rows):
    with open(path + ".tmp", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for row in rows:
            w.writerow({k: row.get(k, "") for k in COLUMNS})
    os.replace(path + ".tmp", path)


def bench(a):
    ts = trials(a.configs)
    jar = a.jar
    if not os.path.isfile(jar):
        raise torch_speed.UsageError("%s not found (mvn -q package -DskipTests)" % jar)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    pin = ["taskset", "-c", a.cpu] if a.cpu else []
    # the garbage collector jobs/sweep.sh gives drivers and executors (GNSWEEP_GC_OPTS, docs/speed.md)
    java, python = pin + ["java"] + os.environ.get("GNSWEEP_GC_OPTS", "-XX:+UseParallelGC").split(), pin + [sys.executable]
    os.makedirs(os.path.dirname(os.path.abspath(a.csv)), exist_ok=True)
    log_path = os.path.splitext(a.csv)[0] + ".log"
    pairs = {t.label: [] for t in ts}
    start = time.time()
    with open(log_path, "w", encoding="utf-8") as log, tempfile.TemporaryDirectory() as tmp:
        print("gnsweep vs PyTorch, one native thread each%s, %d trials x %d rounds (A B pairs); runs logged in %s"
              % (", on CPU " + a.cpu if a.cpu else "", len(ts), a.rounds, log_path), file=sys.stderr)
        for r in range(1, a.rounds + 1):
            for t in ts:
                g = run_gnsweep(java, jar, t, env, log, tmp, a.epochs)
                p = run_torch(python, t, env, log, tmp, a.epochs)
                pairs[t.label].append((g, p))
                show = lambda x: x["error"] if "error" in x else "%.1f images/s (epoch %.2f s, command %.1f s)" % (
                    x["images_per_s"], x["epoch_s"], x["cmd_s"])
                print("round %d  %-44s gnsweep %s | PyTorch %s" % (r, t.label, show(g), show(p)), file=sys.stderr)
            write_csv(a.csv, [summarise(t, pairs[t.label], a.epochs) for t in ts])   # an interrupted run keeps
    rows = [summarise(t, pairs[t.label], a.epochs) for t in ts]
    torch_runs = [p for ps in pairs.values() for _, p in ps if "error" not in p]
    version = torch_runs[0]["torch_version"] if torch_runs else "?"
    out = sys.stdout
    out.write("\ngnsweep (%s -jar gnsweep.jar train ... threads=1) vs PyTorch %s (jobs/torch_speed.py, "
              "torch.set_num_threads(1)), OMP_NUM_THREADS=1, one process at a time, %d rounds, %.0f s in all.\n"
              % (" ".join(java[len(pin):]), version, a.rounds, time.time() - start))
    out.write("%d epoch%s a run, the last one's figures. " % (a.epochs, "s" if a.epochs > 1 else ""))
    out.write("images/s: the training epoch's own time (gnsweep's epoch time; PyTorch's epoch loop), median of the "
              "rounds; ratio = gnsweep / PyTorch, pair by pair, median (min-max);\nms/step = batch / images/s; step 1 and "
              "median step: the epoch's first step and its median step by each side's step-times file; whole cmd "
              "s = each command's wall time (start-up, data, epoch, test on %d images).\n\n" % TEST_LIMIT)
    print_table(rows, out)
    write_csv(a.csv, rows)
    out.write("\nwrote %s\n" % a.csv)
    bad = [r for r in rows if r["status"] != "ok"]
    for r in bad:
        print("torch_bench: %s: %s" % (r["trial"], r["status"]), file=sys.stderr)
    return 1 if bad else 0


def main(argv):
    # a terminated bench ends its running child too (subprocess.run kills it on the way out)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["bench", "params", "args"])
    ap.add_argument("--configs", default=os.environ.get("BENCH_TORCH_CONFIGS") or "default")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_TORCH_ROUNDS") or 2))
    ap.add_argument("--epochs", type=int, default=int(os.environ.get("BENCH_TORCH_EPOCHS") or 1),
                    help="epochs per run; the figure is the last one's (default 1)")
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "gnsweep.jar"))
    ap.add_argument("--csv", default=os.path.join(ROOT, "target", "bench", "torch.csv"))
    ap.add_argument("--cpu", default=os.environ.get("BENCH_TORCH_CPU") or "",
                    help="run both sides under taskset -c CPU (default: no pinning)")
    a = ap.parse_args(argv)
    try:
        if a.command == "args":
            for t in trials(a.configs):
                print("%s\t%s" % (t.label, " ".join(t.args())))
            return 0
        if a.command == "params":
            for t in trials(a.configs):
                print("%s\t%d\t%s" % (t.label, torch_speed.param_count(t.args()), " ".join(t.args())))
            return 0
        if a.rounds < 1:
            raise torch_speed.UsageError("--rounds must be >= 1")
        if a.epochs < 1:
            raise torch_speed.UsageError("--epochs must be >= 1")
        return bench(a)
    except torch_speed.UsageError as e:
        print("torch_bench: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
