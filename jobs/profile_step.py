#!/usr/bin/env python3
"""Where a training step's time goes: a JFR recording of `gnsweep train`, summed by what each sample was doing.

    jobs/profile-step.sh [train key=value ...]      # records a run and prints its breakdown
    python3 jobs/profile_step.py RECORDING.jfr       # prints the breakdown of an existing recording

JFR samples Java code (jdk.ExecutionSample) and threads inside native methods (jdk.NativeMethodSample) at
different periods (the `profile` settings: 10 ms and 20 ms), so each kind is weighted by its period before the
two are added. Native samples are attributed to the first gnsweep or DL4J frame above them (a layer's forward or
backward pass, the updater, the loss), Java samples likewise, and the Java share (ND4J's and DL4J's own
bookkeeping: array objects, workspaces, deallocation) is printed with its top frames. Only the thread that runs training is counted ("main" for `train`).
"""
import collections
import re
import subprocess
import sys

# (pattern on a frame, label); the first matching frame from the top of the stack decides
RULES = [
    (r"AdamUpdater\.applyUpdater|FusedAdam\$Updater\.applyUpdater", "updater: Adam"),
    (r"SgdMomentum\$Updater\.applyUpdater", "updater: SGD"),
    (r"UpdaterBlock|BaseMultiLayerUpdater|StochasticGradientDescent\.optimize", "updater: other (params -= update, L2)"),
    (r"ConvolutionLayer\.preOutput|ConvolutionLayer\.activate|MKLDNNConvHelper\.preOutput|Conv2DLayer\.activate",
     "conv forward"),
    (r"ConvolutionLayer\.backpropGradient|MKLDNNConvHelper\.backpropGradient|Conv2DLayer\.backpropGradient",
     "conv backward"),
    (r"SubsamplingLayer\.activate|MKLDNNSubsamplingHelper\.activate|MaxPoolLayer\.activate", "max-pool forward"),
    (r"SubsamplingLayer\.backpropGradient|MKLDNNSubsamplingHelper\.backpropGradient|MaxPoolLayer\.backpropGradient",
     "max-pool backward"),
    (r"GroupNormLayer\.activate", "GroupNorm forward"),
    (r"GroupNormLayer\.backpropGradient", "GroupNorm backward"),
    (r"normalization\.BatchNormalization\.(activate|preOutput)|MKLDNNBatchNorm.*preOutput|BatchNorm\w*Layer\.activate",
     "BatchNorm forward"),
    (r"normalization\.BatchNormalization\.backpropGradient|MKLDNNBatchNorm.*backprop|BatchNorm\w*Layer\.backprop",
     "BatchNorm backward"),
    (r"ReluLayer\.activate|ActivationLayer\.activate", "ReLU forward"),
    (r"ReluLayer\.backpropGradient|ActivationLayer\.backpropGradient", "ReLU backward"),
    (r"GlobalPoolingLayer", "global pooling"),
    (r"AddReluVertex", "residual add + ReLU"),
    (r"ElementWiseVertex", "residual add"),
    (r"OutputLayer|LossMCXENT|ActivationSoftmax", "output layer and loss"),
    (r"DenseLayer", "dense layer"),
    (r"io\.gnsweep\.train\.Augmentation", "augmentation"),
    (r"io\.gnsweep\.train\.Trainer\.(evaluate|test)", "evaluation"),
    (r"io\.gnsweep\.data", "data"),
    # below every layer's frame and above the updater's: the network's own work around the layers
    (r"computeGradientAndScore|calcBackpropGradients|ffToLayerActivations|outputOfLayersDetached",
     "network bookkeeping (forward/backward outside the layers)"),
]
PERIOD_MS = {"jdk.ExecutionSample": 10.0, "jdk.NativeMethodSample": 20.0}


def events(recording, kind):
    text = subprocess.run(["jfr", "print", "--stack-depth", "64", "--events", kind, recording], check=True, capture_output=True,
                          text=True).stdout
    for block in text.split(kind + " {")[1:]:
        thread = re.search(r'sampledThread = "([^"]+)"', block)
        frames = re.findall(r"^\s+([\w.$<>]+)\(", block, re.M)
        yield (thread.group(1) if thread else ""), frames


def label(frames):
    for f in frames:
        for pattern, name in RULES:
            if re.search(pattern, f):
                return name
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    recording = sys.argv[1]
    ms = collections.Counter()
    java_top = collections.Counter()
    java = 0.0
    other_top = collections.Counter()
    for kind, period in PERIOD_MS.items():
        for thread, frames in events(recording, kind):
            if thread != "main" or not frames:
                continue
            name = label(frames)
            if name is None:
                name = "other (no layer or updater frame)"
                other_top[frames[0].split(".")[-1]] += period
            ms[name] += period
            if kind == "jdk.ExecutionSample":
                java += period
                java_top[frames[0]] += period
    total = sum(ms.values())
    print(f"{'where':48s} {'ms':>9s} {'share':>7s}")
    for name, v in ms.most_common():
        if v / total >= 0.003:
            print(f"{name:48s} {v:9.0f} {100 * v / total:6.1f}%")
    print(f"{'total sampled (main thread)':48s} {total:9.0f}")
    print(f"\nof which in Java code (ND4J/DL4J bookkeeping, not native ops): {java:.0f} ms, {100 * java / total:.1f}%;"
          " top frames:")
    for f, v in java_top.most_common(8):
        print(f"  {100 * v / total:5.1f}%  {f}")
    print("other, top frames:", ", ".join(f"{f} {100 * v / total:.1f}%" for f, v in other_top.most_common(6)))


if __name__ == "__main__":
    main()
