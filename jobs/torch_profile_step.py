#!/usr/bin/env python3
"""Where a PyTorch training step's time goes, for the trials of jobs/torch_speed.py (the counterpart of
jobs/profile-step.sh): builds the same network from the same `gnsweep train` key=value arguments, trains 10 warm-up
steps and 30 profiled steps on one random batch with torch's autograd profiler, and prints its table by self CPU
time (one thread unless threads= says otherwise).

    OMP_NUM_THREADS=1 /usr/bin/python3 jobs/torch_profile_step.py model=resnet model-depth=20 model-width=0.5 \\
        norm=group groups=4 batch-size=32 optimizer=sgd momentum=0.9 weight-decay=5e-4 lr=0.1 threads=1
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_speed  # noqa: E402


def main(argv):
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    import torch
    s = torch_speed.settings(argv)
    threads = int(s["threads"])
    if threads > 0:
        torch.set_num_threads(threads)
    torch.manual_seed(int(s["seed"]))
    net, size = torch_speed.build(torch, s)
    opt = torch_speed.optimizer(torch, net, s)
    batch = int(s["batch-size"])
    x = torch.randn(batch, 1, size, size)
    y = torch.randint(0, 10, (batch,))
    loss_fn = torch.nn.CrossEntropyLoss()
    net.train()

    def step():
        loss = loss_fn(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(10):
        step()
    with torch.autograd.profiler.profile() as prof:
        for _ in range(30):
            step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except torch_speed.UsageError as e:
        print("torch_profile_step: %s" % e, file=sys.stderr)
        sys.exit(2)
