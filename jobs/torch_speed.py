#!/usr/bin/env python3
"""gnsweep's networks in plain torch.nn, trained the way `gnsweep train` trains them, for speed comparisons.

    /usr/bin/python3 jobs/torch_speed.py [key=value ...] [--json FILE] [--params-only]

Takes the keys of `gnsweep train` (src/main/resources/gnsweep/train-defaults.conf, read for the defaults) and
trains one epoch on one native thread per `threads` (0: torch's default), so that the same argument list runs
on both sides. Where jobs/torch_trial.py replays one exported DL4J trial exactly (same weights, same batches,
DL4J's update rules), this is what a PyTorch user would write: torch.nn modules, torch.optim, its own
initialisation and shuffle.

The networks (io.gnsweep.model.Model, NetworkFactory, ResNet):
- small-cnn (28x28) and vgg-cifar (32x32): blocks of 3x3 convolutions, padding 1, each followed by the norm and
  ReLU, each block closed by a 2x2 max-pool, stride 2; then a dense layer to the classes (softmax in the loss).
  Channels round(c * width), at least 1. Convolutions have a bias only without a norm.
- resnet (32x32): 3x3 stem (16w) - norm - ReLU; three stages of n = (depth - 2) / 6 basic blocks of 16w, 32w,
  64w channels (the first block of stages 2 and 3 with stride 2); a basic block is conv3x3 - norm - ReLU -
  conv3x3 - norm plus the shortcut (a 1x1 stride-2 convolution and norm where the shape changes, else the
  identity), then ReLU; global average pooling, dense. gamma = 0 on each block's last norm by default
  (zero-init-last-norm; without a norm the block's last convolution is zeroed).
- norms: batch = BatchNorm2d (eps 1e-5, momentum 0.1 = DL4J's decay 0.9), group = GroupNorm(G), layer =
  GroupNorm(1), instance = GroupNorm(C), eps 1e-5.
- data: IDX files (gzip or not), pixels p / 255 * 2 - 1, images smaller than the model's input padded with the
  black value (-1), centred, as ImageDataset.padTo; the last incomplete batch of the epoch dropped.
- optimiser: Adam (betas 0.9 / 0.999, eps 1e-8) or SGD with momentum (torch.optim.SGD, dampening 0), weight
  decay on convolution and dense weights only. Only the constant learning rate and no augmentation.
The parameter count printed is DL4J's: trainable parameters plus BatchNorm's running mean and variance, which
DL4J holds as parameters (torch as buffers).

Timing: the epoch's training loop (batch gather, forward, loss, backward, step, the loss read back as a float
each step, as gnsweep's Trainer reads net.score()), between two perf_counter reads; start-up (import, data
loading, network construction) and the test evaluation after it are outside, as gnsweep's epoch time. With
step-times=FILE each step's own time goes to FILE as gnsweep train writes it (epoch, step, ms; tab-separated).
"""
import argparse
import gzip
import json
import math
import os
import re
import struct
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULTS = os.path.join(ROOT, "src", "main", "resources", "gnsweep", "train-defaults.conf")
RESOURCES = os.path.join(ROOT, "src", "main", "resources")
PLAIN_BLOCKS = {"small-cnn": ([[32, 32], [64, 64]], 28),
                "vgg-cifar": ([[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]], 32)}
RESNET_SIZE = 32
EVAL_BATCH = 250


class UsageError(Exception):
    pass


def read_defaults(path=DEFAULTS):
    """The flat keys of train-defaults.conf (HOCON as that file writes it: `key = value  # comment`, one
    `dataset { ... }` block), values as strings, `null` as None."""
    out, prefix = {}, ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.match(r"^([\w.-]+)\s*\{$", line)
            if m:
                prefix = m.group(1) + "."
                continue
            if line == "}":
                prefix = ""
                continue
            key, _, value = line.partition("=")
            value = value.strip().strip('"')
            out[prefix + key.strip()] = None if value == "null" else value
    return out


def settings(args):
    """train's defaults with the key=value overrides applied; an unknown key is refused, as gnsweep train does."""
    s = read_defaults()
    for a in args:
        key, eq, value = a.partition("=")
        if not eq or key not in s:
            raise UsageError("unknown key '%s' (keys: %s)" % (key, ", ".join(sorted(s))))
        s[key] = None if value == "null" else value.strip('"')
    for key, ok in (("lr-schedule", "constant"), ("augment", "none"), ("warmup-epochs", "0")):
        if s[key] != ok:
            raise UsageError("%s = %s: only %s has a replica here" % (key, s[key], ok))
    if s["dataset.name"] not in ("fashion-mnist", "mnist"):
        raise UsageError("dataset.name = %s: only the IDX datasets (fashion-mnist, mnist)" % s["dataset.name"])
    if s["model"] not in PLAIN_BLOCKS and s["model"] != "resnet":
        raise UsageError("model = %s" % s["model"])
    if s["norm"] not in ("none", "batch", "group", "layer", "instance"):
        raise UsageError("norm = %s" % s["norm"])
    if s["optimizer"] not in ("adam", "sgd"):
        raise UsageError("optimizer = %s" % s["optimizer"])
    if s["step-times"] is not None:
        f = os.path.abspath(s["step-times"])
        if os.path.isdir(f) or not os.path.isdir(os.path.dirname(f)):
            raise UsageError("step-times = %s: not a file in an existing folder" % s["step-times"])
    return s


# ---- data

def data_folder(path):
    """`classpath:gnsweep/...` is the copy in this checkout's src/main/resources."""
    return os.path.join(RESOURCES, path[len("classpath:"):]) if path.startswith("classpath:") else path


def read_idx(folder, name, limit):
    for file, opener in ((name, open), (name + ".gz", gzip.open)):
        p = os.path.join(folder, file)
        if os.path.exists(p):
            with opener(p, "rb") as f:
                data = f.read()
            break
    else:
        raise UsageError("dataset.path = %s: no %s(.gz)" % (folder, name))
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    a = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    return a[:limit] if limit else a


def load_split(folder, split, limit, size):
    """Images [n, 1, size, size] float32 scaled to [-1, 1] (padded with -1, centred), labels int64."""
    x = read_idx(folder, split + "-images-idx3-ubyte", limit)
    y = read_idx(folder, split + "-labels-idx1-ubyte", limit).astype(np.int64)
    x = x.astype(np.float32) / np.float32(255) * np.float32(2) - np.float32(1)
    n, h, w = x.shape
    if h < size or w < size:
        padded = np.full((n, size, size), -1.0, dtype=np.float32)
        top, left = (size - h) // 2, (size - w) // 2
        padded[:, top:top + h, left:left + w] = x
        x = padded
    return np.ascontiguousarray(x[:, None, :, :]), y


# ---- networks

def channels(c, width):
    return max(1, int(math.floor(c * width + 0.5)))   # Java's Math.round


def norm_layer(nn, norm, groups, c):
    if norm == "batch":
        return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)
    g = {"group": groups, "layer": 1, "instance": c}[norm]
    if c % g:
        raise UsageError("groups = %d does not divide the %d channels of a normalised layer" % (g, c))
    return nn.GroupNorm(g, c, eps=1e-5)


def plain_cnn(nn, model, norm, groups, width, classes):
    blocks, size = PLAIN_BLOCKS[model]
    layers, cin = [], 1
    for block in blocks:
        for c in block:
            c = channels(c, width)
            layers.append(nn.Conv2d(cin, c, 3, padding=1, bias=norm == "none"))
            if norm != "none":
                layers.append(norm_layer(nn, norm, groups, c))
            layers.append(nn.ReLU(inplace=True))
            cin = c
        layers.append(nn.MaxPool2d(2, 2))
        size //= 2
    layers += [nn.Flatten(), nn.Linear(cin * size * size, classes)]
    return nn.Sequential(*layers)


def resnet(torch, nn, norm, groups, width, depth, classes, zero_init_last):
    if depth < 8 or (depth - 2) % 6:
        raise UsageError("model-depth = %d: a CIFAR ResNet has depth 6n+2" % depth)
    n = (depth - 2) // 6

    def conv_norm(cin, cout, k, stride):
        mods = [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=norm == "none")]
        if norm != "none":
            mods.append(norm_layer(nn, norm, groups, cout))
        return nn.Sequential(*mods)

    class Block(nn.Module):
        def __init__(self, cin, c, stride):
            super().__init__()
            self.branch1 = conv_norm(cin, c, 3, stride)
            self.relu1 = nn.ReLU(inplace=True)
            self.branch2 = conv_norm(c, c, 3, 1)
            self.shortcut = conv_norm(cin, c, 1, stride) if stride != 1 or cin != c else None
            self.relu = nn.ReLU(inplace=True)
            if zero_init_last:
                last = self.branch2[-1]
                with torch.no_grad():
                    last.weight.zero_()
                    if isinstance(last, nn.Conv2d):
                        last.bias.zero_()

        def forward(self, x):
            h = self.branch2(self.relu1(self.branch1(x)))
            return self.relu(h + (x if self.shortcut is None else self.shortcut(x)))

    stages = [channels(16 * (1 << s), width) for s in range(3)]
    mods = [conv_norm(1, stages[0], 3, 1), nn.ReLU(inplace=True)]
    cin = stages[0]
    for s, c in enumerate(stages):
        for b in range(n):
            mods.append(Block(cin, c, 2 if s > 0 and b == 0 else 1))
            cin = c
    mods += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*mods)


def build(torch, s, classes=10):
    nn = torch.nn
    norm, width = s["norm"], float(s["model-width"])
    groups = int(s["groups"])
    if s["model"] == "resnet":
        zero = s["zero-init-last-norm"]
        zero = True if zero is None else zero == "true"
        return resnet(torch, nn, norm, groups, width, int(s["model-depth"]), classes, zero), RESNET_SIZE
    return plain_cnn(nn, s["model"], norm, groups, width, classes), PLAIN_BLOCKS[s["model"]][1]


def dl4j_param_count(net):
    """Trainable parameters plus BatchNorm's running mean and variance (parameters in DL4J, buffers in torch)."""
    n = sum(p.numel() for p in net.parameters())
    return n + sum(b.numel() for name, b in net.named_buffers() if name.endswith(("running_mean", "running_var")))


def optimizer(torch, net, s):
    lr, wd = float(s["lr"]), float(s["weight-decay"])
    if s["optimizer"] == "adam":
        if wd:
            raise UsageError("weight-decay with adam has no replica here")
        return torch.optim.Adam(net.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    decayed = [m.weight for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    ids = {id(p) for p in decayed}
    rest = [p for p in net.parameters() if id(p) not in ids]
    return torch.optim.SGD([{"params": decayed, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}],
                           lr=lr, momentum=float(s["momentum"]), dampening=0, nesterov=s["nesterov"] == "true")


def train(s, out=sys.stdout):
    t_start = time.perf_counter()
    import torch
    threads = int(s["threads"])
    if threads > 0:
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(threads)
    seed = int(s["seed"])
    torch.manual_seed(seed)
    net, size = build(torch, s)
    params = dl4j_param_count(net)
    folder = data_folder(s["dataset.path"])
    limit = lambda k: int(s[k]) if s[k] is not None else None
    x_train, y_train = load_split(folder, "train", limit("dataset.train-limit"), size)
    x_test, y_test = load_split(folder, "t10k", limit("dataset.test-limit"), size)
    batch, epochs = int(s["batch-size"]), int(s["epochs"])
    if batch > len(y_train):
        raise UsageError("batch-size = %d exceeds the %d training images" % (batch, len(y_train)))
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    opt = optimizer(torch, net, s)
    loss_fn = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    print("trial %s: %s%s on %s (%d train / %d test images), %s, %s, torch %s, %d threads, %d parameters" % (
        trial_id(s), s["model"], "-" + s["model-depth"] if s["model"] == "resnet" else "", s["dataset.name"],
        len(y_train), len(y_test), "GroupNorm G=" + s["groups"] if s["norm"] == "group" else s["norm"],
        s["optimizer"], torch.__version__, torch.get_num_threads(), params), file=out, flush=True)
    startup = time.perf_counter() - t_start
    result = {"params": params, "startup_s": startup, "torch_version": torch.__version__,
              "threads": torch.get_num_threads(), "epochs": []}
    step_ms = []
    for epoch in range(1, epochs + 1):
        order = torch.from_numpy(rng.permutation(len(y_train)))
        steps = len(y_train) // batch
        net.train()
        loss_sum = 0.0
        t0 = time.perf_counter()
        for step in range(steps):
            t_step = time.perf_counter()
            idx = order[step * batch:(step + 1) * batch]
            x, y = xt.index_select(0, idx), yt.index_select(0, idx)
            loss = loss_fn(net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item()
            step_ms.append((epoch, step + 1, (time.perf_counter() - t_step) * 1e3))
        seconds = time.perf_counter() - t0
        test_loss, test_acc = evaluate(torch, net, x_test, y_test)
        m = {"epoch": epoch, "train_loss": loss_sum / steps, "test_loss": test_loss, "test_accuracy": test_acc,
             "steps": steps, "images": steps * batch, "epoch_s": seconds, "images_per_s": steps * batch / seconds}
        result["epochs"].append(m)
        if s["step-times"] is not None:  # gnsweep train's file: the steps so far, after every epoch
            with open(s["step-times"], "w", encoding="utf-8") as f:
                f.write("epoch\tstep\tms\n" + "".join("%d\t%d\t%.3f\n" % r for r in step_ms))
        print("epoch %d/%d  train_loss %.4f  test_loss %.4f  test_accuracy %.2f%%  %.1f images/s  (%.3f s)" % (
            epoch, epochs, m["train_loss"], test_loss, 100 * test_acc, m["images_per_s"], seconds), file=out, flush=True)
        if not math.isfinite(m["train_loss"]):
            raise RuntimeError("train loss became %s at epoch %d" % (m["train_loss"], epoch))
    total_images = sum(e["images"] for e in result["epochs"])
    total_s = sum(e["epoch_s"] for e in result["epochs"])
    print("done: test accuracy %.2f%%, %.1f images/s, %d parameters" % (
        100 * result["epochs"][-1]["test_accuracy"], total_images / total_s, params), file=out, flush=True)
    return result


def evaluate(torch, net, x, y):
    net.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(y), EVAL_BATCH):
            p = torch.softmax(net(torch.from_numpy(x[start:start + EVAL_BATCH])), dim=1)
            yy = torch.from_numpy(y[start:start + EVAL_BATCH])
            correct += int((p.argmax(dim=1) == yy).sum())
            loss_sum -= float(torch.log(p[torch.arange(len(yy)), yy].clamp_min(1e-12)).sum())
    return loss_sum / len(y), correct / len(y)


def trial_id(s):
    t = s["norm"] + ("-g" + s["groups"] if s["norm"] == "group" else "") + "-bs" + s["batch-size"]
    if s["model"] == "resnet":
        t += "-d" + s["model-depth"]
    if s["optimizer"] != "adam":
        t += "-" + s["optimizer"]
    return t + "-s" + s["seed"]


def param_count(args):
    """DL4J's parameter count of the network the key=value args describe (no data read, no training)."""
    import torch
    s = settings(args)
    net, _ = build(torch, s)
    return dl4j_param_count(net)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("overrides", nargs="*", metavar="key=value", help="keys of gnsweep train")
    ap.add_argument("--json", help="also write the result (parameter count, start-up and per-epoch times) here")
    ap.add_argument("--params-only", action="store_true", help="print the parameter count and exit")
    a = ap.parse_args(argv)
    try:
        if a.params_only:
            print(param_count(a.overrides))
            return 0
        s = settings(a.overrides)
        result = train(s)
    except UsageError as e:
        print("torch_speed: %s" % e, file=sys.stderr)
        return 2
    except ImportError as e:
        print("torch_speed: %s for %s (apt-get install -y python3-torch)" % (e, sys.executable), file=sys.stderr)
        return 3
    except RuntimeError as e:
        print("torch_speed: %s" % e, file=sys.stderr)
        return 1
    if a.json:
        with open(a.json + ".tmp", "w", encoding="utf-8") as f:
            json.dump(result, f)
        os.replace(a.json + ".tmp", a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
