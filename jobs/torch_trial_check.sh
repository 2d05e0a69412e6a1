#!/usr/bin/env bash
# Trains one trial with DL4J and with its PyTorch replica (jobs/torch_trial.py) from the same initial weights
# and mini-batches, and prints how far their per-step losses and test metrics are apart (io.gnsweep.train.TorchTrial).
# usage: jobs/torch_trial_check.sh key=value ...    (no arguments: the keys and their defaults)
#   e.g. jobs/torch_trial_check.sh model=vgg-cifar model-width=0.25 norm=group groups=8 lr=1e-3 epochs=2 \
#          train-limit=2000 test-limit=2000 seed=3 float64-steps=-1 dl4j-float64-steps=20 perturbed=8
#   or jobs/torch_trial_check.sh model=resnet model-depth=8 model-width=0.25 norm=batch zero-init-last-norm=true \
#          batch-size=32 lr=0.1 optimizer=sgd momentum=0.9 weight-decay=5e-4 lr-schedule=step warmup-epochs=0.2
# Needs PyTorch for /usr/bin/python3 (apt-get install -y python3-torch) and Fashion-MNIST
# (apt-get install -y dataset-fashion-mnist, or data=FOLDER). One native thread each for DL4J and torch.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cp_file="target/torch-trial-classpath.txt"
if [[ ! -f "$cp_file" || -n "$(find pom.xml src -newer "$cp_file" -print -quit)" ]]; then
  echo "building the test classes ..." >&2
  mvn -q -B test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >&2
fi
if (($# == 0)); then
  sed -n '2,10p' "$0" >&2
  set -- --help
fi
export OMP_NUM_THREADS=1
exec java -Xmx4g -Dlog4j2.configurationFile=conf/log4j2-test.properties \
  -cp "target/test-classes:target/classes:$(cat "$cp_file")" io.gnsweep.train.TorchTrial "$@"
