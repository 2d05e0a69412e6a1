#!/usr/bin/env python3
"""A PyTorch replica of one gnsweep trial, to check DL4J's whole training run against an independent one.

The Java side (io.gnsweep.train.TorchExchange, used by TorchTrialTest and TorchTrialCheck) writes an
exchange folder: manifest.json, the network's initial parameters as DL4J holds them, the training
images, the image index of every slot of every mini-batch in training order, the test set and the
hyperparameters. This script builds the same network in torch from the manifest (no architecture is
hard-coded here), trains it on exactly those mini-batches with DL4J's update rules, evaluates it, and
writes the per-step losses and the test metrics as JSON.

    /usr/bin/python3 jobs/torch_trial.py EXCHANGE_DIR [--float64-steps K] [--perturb N] [--out FILE]
                                         [--threads N] [--eps-scale X] [--dump-after K] [--save-states]

Runs, all from the exported initial weights: "float32", the replica proper; "float64" (inputs and
weights upcast exactly; the first K steps only with --float64-steps K), the reference of the exact
arithmetic; with --perturb N, "float32-p1".."float32-pN", float32 runs whose initial weights are each
moved by -1, 0 or +1 ulp at random: as valid a float32 training as the first, so their spread is how
far float32 rounding alone moves this trial. --eps-scale multiplies every normalisation layer's eps
(a deliberately wrong replica, to see the check fail). The output (default
EXCHANGE_DIR/torch-result.json) holds, per run: "loss" (the training loss of each step, at the
weights before that step's update, as DL4J's net.score()), then after the last step "test_loss",
"test_accuracy", "test_correct" and "predictions" (the argmax class of each test image).
--save-states writes the float32 run's parameters at the start of every step, for the Java side to
compute its own loss at exactly the replica's weights (a comparison free of the chaos of training).

What the replica must match, and how (DL4J 1.0.0-M2.1 semantics):
- conv2d: weights [out, in, kH, kW] in both; DL4J's Same mode pads (top, bottom, left, right) as
  exported, symmetric for stride 1 (F.conv2d padding), else F.pad first.
- dense: DL4J holds W as [nIn, nOut] (torch's Linear weight is its transpose) and b as [1, nOut].
- flatten: DL4J's CnnToFeedForwardPreProcessor reshapes NCHW activations in C order, as torch's
  reshape of a contiguous NCHW tensor does.
- graphs (a DL4J ComputationGraph): nodes come in topological order and each names its inputs ("inputs";
  network.input_name is the network input); a node without inputs takes the previous node's output. The
  last node is the network's output. add: the elementwise sum of its inputs (ElementWiseVertex Add; gnsweep's
  AddRelu, "relu": true, then ReLU);
  global_avg_pool: the mean over H and W, [N, C, H, W] -> [N, C] (GlobalPoolingLayer AVG, collapsed).
- group_norm: torch.nn.functional.group_norm with the layer's G and eps (biased group variance); then ReLU where
  the layer fuses one ("relu": true), as batch_norm below.
- batch_norm: training normalises with the batch mean and biased variance; the running statistics
  (decay d = 0.9 is torch momentum 0.1) average the *biased* batch variance (torch's own running_var
  uses the unbiased one), initialised to mean 0, variance 1, and DL4J keeps log10(std) rather than the
  variance (useLogStd): log10std -= 0.5 * log10(var_t / var_t+1), var_t = (10^log10std)^2. Inference
  uses var = (10^log10std)^2 and normalises by sqrt(var + eps).
- loss: softmax + multi-class cross-entropy, mean over the batch; DL4J's score clips probabilities to
  [1e-10, 1 - 1e-10] before the log, its gradient is (softmax - onehot) / N unclipped.
- Adam as libnd4j's adam_updater: m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
  p -= lr sqrt(1-b2^t) / (1-b1^t) * m / (sqrt(v) + eps), t = 1, 2, ... Note eps sits outside the bias
  correction, unlike torch.optim.Adam (p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)).
- SGD with momentum as gnsweep's SgdMomentum (torch.optim.SGD, dampening 0): v = mu v + g,
  p -= lr v (heavy ball) or p -= lr (g + mu v) (nesterov), lr per step from train.lr (the schedule with
  warm-up as DL4J's updater evaluates it). Weight decay is DL4J's L2 regularization of the parameter
  (exported per parameter; gnsweep puts it on conv/dense weights only): coeff * w added to the gradient
  before the updater, torch's weight_decay. The reported loss is the data loss, without 0.5 coeff |w|^2.
  TORCH_TRIAL_FLIP_NESTEROV=1 in the environment flips nesterov (a deliberately wrong replica).
- evaluation: inference mode in batches, accuracy by the first maximal probability, loss as gnsweep's
  Trainer.evaluate (-log max(p, 1e-12), averaged over the test set).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np

FORMAT = "gnsweep-torch-trial-1"


def read_array(folder, entry, dtype="<f4"):
    a = np.fromfile(os.path.join(folder, entry["file"]), dtype=np.dtype(dtype))
    shape = tuple(entry["shape"])
    if a.size != int(np.prod(shape)):
        raise ValueError("%s: %d values, expected shape %s" % (entry["file"], a.size, shape))
    return a.reshape(shape)


class Replica:
    """The network of the manifest as torch tensors, in one dtype."""

    def __init__(self, torch, manifest, folder, dtype, eps_scale, perturb=0):
        self.torch = torch
        self.F = torch.nn.functional
        self.dtype = dtype
        self.nodes = manifest["network"]["nodes"]
        self.input_name = manifest["network"].get("input_name")
        self.eps_scale = eps_scale
        self.params = []    # (node name, key, tensor, updater) in DL4J's order
        self.tensors = {}   # (node name, key) -> tensor: trainable params and batch-norm state
        rng = np.random.default_rng(perturb) if perturb else None
        for node in self.nodes:
            for key, entry in node.get("params", {}).items():
                a = read_array(folder, entry)
                if rng is not None and entry.get("trainable", True):
                    # each weight moved by -1, 0 or +1 float32 ulp: another float32 run, as good as the first
                    step = rng.integers(-1, 2, size=a.shape)
                    a = np.where(step > 0, np.nextafter(a, np.float32(np.inf)),
                                 np.where(step < 0, np.nextafter(a, np.float32(-np.inf)), a)).astype(np.float32)
                t = self.tensor(a)
                trainable = entry.get("trainable", True)
                if trainable:
                    t.requires_grad_(True)
                    l2 = 0.0
                    for r in entry.get("regularization", []):
                        if r["type"] != "l2":
                            raise NotImplementedError("%s/%s: regularization %s has no replica yet" % (node["name"], key, r))
                        l2 += r["coeff"]
                    self.params.append((node["name"], key, t, dict(entry["updater"], l2=l2)))
                self.tensors[(node["name"], key)] = t

    def tensor(self, a):
        return self.torch.tensor(np.asarray(a, dtype=np.float64), dtype=self.dtype)

    def p(self, node, key):
        return self.tensors[(node["name"], key)]

    def forward(self, x, training):
        """The output layer's pre-softmax values; batch-norm running statistics updated when training."""
        torch, F = self.torch, self.F
        outputs = {self.input_name: x}
        previous = x
        for node in self.nodes:
            # a graph's node names its inputs (the network input by network.input_name); else the previous node
            inputs = [outputs[i] for i in node["inputs"]] if node.get("inputs") else [previous]
            h = inputs[0]
            kind = node["type"]
            if kind == "conv2d":
                top, bottom, left, right = node["padding"]
                bias = self.p(node, "b").reshape(-1) if node["bias"] else None
                if top == bottom and left == right:
                    h = F.conv2d(h, self.p(node, "W"), bias, stride=tuple(node["stride"]), padding=(top, left),
                                 dilation=tuple(node["dilation"]))
                else:
                    h = F.conv2d(F.pad(h, (left, right, top, bottom)), self.p(node, "W"), bias,
                                 stride=tuple(node["stride"]), dilation=tuple(node["dilation"]))
            elif kind == "group_norm":
                h = F.group_norm(h, node["groups"], self.p(node, "gamma").reshape(-1),
                                 self.p(node, "beta").reshape(-1), node["eps"] * self.eps_scale)
                if node.get("relu"):            # a ReLU fused into the layer
                    h = F.relu(h)
            elif kind == "batch_norm":
                h = self.batch_norm(node, h, training)
                if node.get("relu"):
                    h = F.relu(h)
            elif kind == "relu":
                h = F.relu(h)
            elif kind == "max_pool2d":
                top, bottom, left, right = node["padding"]
                if top or bottom or left or right:
                    raise NotImplementedError("%s: padded pooling has no replica yet" % node["name"])
                h = F.max_pool2d(h, tuple(node["kernel"]), tuple(node["stride"]))
            elif kind == "flatten":
                h = h.reshape(h.shape[0], -1)   # C order over (C, H, W), as DL4J's preprocessor
            elif kind == "dense":
                w = self.p(node, "W")           # [nIn, nOut]
                h = F.linear(h, w.t(), self.p(node, "b").reshape(-1) if node["bias"] else None)
                if node["activation"] not in ("identity", "softmax"):
                    raise NotImplementedError("%s: activation %s" % (node["name"], node["activation"]))
            elif kind == "add":
                h = inputs[0]
                for other in inputs[1:]:
                    h = h + other
                if node.get("relu"):            # gnsweep's AddRelu vertex: the ReLU after the add
                    h = F.relu(h)
            elif kind == "global_avg_pool":
                h = h.mean(dim=(2, 3))          # [N, C, H, W] -> [N, C]
            else:
                raise NotImplementedError("node type %s (%s)" % (kind, node["name"]))
            outputs[node["name"]] = h
            previous = h
        return previous

    def batch_norm(self, node, h, training):
        torch, F = self.torch, self.F
        eps = node["eps"] * self.eps_scale
        gamma = self.p(node, "gamma").reshape(-1)
        beta = self.p(node, "beta").reshape(-1)
        mean = self.p(node, "mean")
        log10std = self.p(node, "log10stdev")
        if not node["use_log_std"]:
            raise NotImplementedError("%s: useLogStd = false" % node["name"])
        if training:
            out = F.batch_norm(h, None, None, gamma, beta, training=True, eps=eps)
            with torch.no_grad():
                d = node["decay"]
                dims = (0, 2, 3) if h.dim() == 4 else (0,)
                batch_mean = h.mean(dim=dims).reshape(mean.shape)
                batch_var = h.var(dim=dims, unbiased=False).reshape(mean.shape)
                mean.sub_((mean - batch_mean) * (1 - d))
                var_t = (10.0 ** log10std) ** 2
                var_next = var_t * d + batch_var * (1 - d)
                log10std.sub_(0.5 * torch.log10(var_t / var_next))
            return out
        var = (10.0 ** log10std) ** 2
        return F.batch_norm(h, mean.reshape(-1), var.reshape(-1), gamma, beta, training=False, eps=eps)


def dl4j_score(torch, logits, labels, clip):
    """DL4J's MCXENT score with softmax: probabilities clipped to [clip, 1 - clip] before the log."""
    with torch.no_grad():
        p = torch.softmax(logits, dim=1)
        p = torch.clamp(p, clip, 1.0 - clip)
        return float(-torch.log(p[torch.arange(p.shape[0]), labels]).sum() / p.shape[0])


def dump(replica, folder):
    os.makedirs(folder, exist_ok=True)
    for (name, key), t in replica.tensors.items():
        t.detach().to(replica.torch.float64).numpy().astype("<f8").tofile(os.path.join(folder, "%s.%s.bin" % (name, key)))


def train_and_test(torch, manifest, folder, dtype, eps_scale, steps=None, dump_after=0, perturb=0, states=None):
    """Trains on the first `steps` mini-batches (all when None), then evaluates on the test set; with `states`,
    writes the trainable parameters each step starts from to states/<step>.bin (float32, manifest order)."""
    replica = Replica(torch, manifest, folder, dtype, eps_scale, perturb)
    if states:
        os.makedirs(states, exist_ok=True)
    net = manifest["network"]
    train = manifest["train"]
    images = read_array(folder, train["images"])
    labels = read_array(folder, train["labels"], "<i4")
    batches = read_array(folder, train["batches"], "<i4")   # [steps, batch]
    lrs = train["lr"]
    if len(lrs) != batches.shape[0]:
        raise ValueError("%d learning rates for %d steps" % (len(lrs), batches.shape[0]))
    loss_conf = manifest["loss"]
    if loss_conf["type"] != "mcxent" or net["nodes"][-1].get("activation") != "softmax":
        raise NotImplementedError("loss %s" % loss_conf)
    state = {}
    for _, _, t, updater in replica.params:
        if updater["type"] not in ("adam", "sgd_momentum"):
            raise NotImplementedError("updater %s has no replica yet" % updater)
        state[id(t)] = (torch.zeros_like(t), torch.zeros_like(t))
    nesterov_flip = os.environ.get("TORCH_TRIAL_FLIP_NESTEROV") == "1"   # a deliberately wrong replica
    losses = []
    t0 = time.time()
    for step in range(batches.shape[0] if steps is None else min(steps, batches.shape[0])):
        idx = batches[step]
        if states:
            with open(os.path.join(states, "%d.bin" % (step + 1)), "wb") as f:
                for _, _, t, _ in replica.params:
                    f.write(t.detach().to(torch.float32).numpy().astype("<f4").tobytes())
        x = replica.tensor(images[idx])
        y = torch.tensor(labels[idx], dtype=torch.long)
        logits = replica.forward(x, True)
        losses.append(dl4j_score(torch, logits, y, loss_conf["softmax_clip_eps"]))
        loss = torch.nn.functional.cross_entropy(logits, y)   # gradient (softmax - onehot) / N
        for _, _, t, _ in replica.params:
            t.grad = None
        loss.backward()
        with torch.no_grad():
            for _, _, t, u in replica.params:
                m, v = state[id(t)]
                g = t.grad
                if u["l2"]:
                    g = g + u["l2"] * t      # DL4J's L2: coeff * w added to the gradient before the updater
                if u["type"] == "sgd_momentum":
                    mu = u["momentum"]
                    if mu:
                        m.mul_(mu).add_(g)   # v = mu * v + g
                        g = g + mu * m if u["nesterov"] != nesterov_flip else m
                    t.sub_(lrs[step] * g)
                    continue
                b1, b2 = u["beta1"], u["beta2"]
                m.mul_(b1).add_(g * (1 - b1))
                v.mul_(b2).add_(g * g * (1 - b2))
                it = step + 1
                alpha = lrs[step] * math.sqrt(1 - b2 ** it) / (1 - b1 ** it)
                t.sub_(alpha * m / (torch.sqrt(v) + u["eps"]))
        if step + 1 == dump_after:
            dump(replica, os.path.join(folder, "dump-torch-%s" % str(dtype).replace("torch.", "")))
    train_s = time.time() - t0
    test = manifest["test"]
    tx = read_array(folder, test["images"])
    ty = read_array(folder, test["labels"], "<i4")
    predictions = []
    loss_sum = 0.0
    with torch.no_grad():
        for start in range(0, tx.shape[0], test["eval_batch"]):
            p = torch.softmax(replica.forward(replica.tensor(tx[start:start + test["eval_batch"]]), False), dim=1)
            p = p.to(torch.float64).numpy()
            yy = ty[start:start + test["eval_batch"]]
            predictions.extend(int(c) for c in p.argmax(axis=1))   # first maximum, as Trainer.evaluate
            loss_sum -= float(np.log(np.maximum(p[np.arange(len(yy)), yy], 1e-12)).sum())
    correct = int(sum(1 for a, b in zip(predictions, ty) if a == b))
    return {"loss": losses, "test_loss": loss_sum / len(ty), "test_accuracy": correct / len(ty),
            "test_correct": correct, "predictions": predictions, "train_seconds": train_s}


def main(argv):
    ap = argparse.ArgumentParser(description="PyTorch replica of a gnsweep trial (see the module docstring)")
    ap.add_argument("folder")
    ap.add_argument("--float64-steps", type=int, default=None,
                    help="train the float64 run on the first K steps only (default all; 0: no float64 run)")
    ap.add_argument("--perturb", type=int, default=0,
                    help="also N float32 runs from initial weights each moved by -1, 0 or +1 ulp at random (seeds "
                         "1..N): the spread of equally valid float32 trainings of this trial")
    ap.add_argument("--out")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eps-scale", type=float, default=1.0)
    ap.add_argument("--save-states", action="store_true",
                    help="write the trainable parameters every float32 step starts from to EXCHANGE_DIR/states/<step>.bin"
                         " (little-endian float32, the manifest's trainable parameters in order)")
    ap.add_argument("--dump-after", type=int, default=0,
                    help="write the parameters after this many steps to EXCHANGE_DIR/dump-torch-<dtype>/")
    args = ap.parse_args(argv)
    try:
        with open(os.path.join(args.folder, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        if manifest.get("format") != FORMAT:
            raise ValueError("format %r, expected %r" % (manifest.get("format"), FORMAT))
    except (OSError, ValueError) as e:
        print("torch_trial: cannot read %s: %s" % (args.folder, e), file=sys.stderr)
        return 2
    try:
        import torch
    except ImportError:
        print("torch_trial: torch is not installed for %s" % sys.executable, file=sys.stderr)
        return 3
    torch.set_num_threads(args.threads)
    result = {"format": FORMAT, "torch_version": torch.__version__, "eps_scale": args.eps_scale, "runs": {}}
    runs = result["runs"]
    runs["float32"] = train_and_test(torch, manifest, args.folder, torch.float32, args.eps_scale, None, args.dump_after,
                                     0, os.path.join(args.folder, "states") if args.save_states else None)
    if args.float64_steps != 0:
        runs["float64"] = train_and_test(torch, manifest, args.folder, torch.float64, args.eps_scale,
                                         args.float64_steps, args.dump_after)
    for seed in range(1, args.perturb + 1):
        runs["float32-p%d" % seed] = train_and_test(torch, manifest, args.folder, torch.float32, args.eps_scale,
                                                    None, 0, seed)
    out = args.out or os.path.join(args.folder, "torch-result.json")
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(result, f)
    os.replace(out + ".tmp", out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
