#!/usr/bin/env bash
# Where a training step's time goes: runs `gnsweep train` under JFR and prints the samples summed by layer,
# updater and ND4J/DL4J bookkeeping (jobs/profile_step.py). Default: vgg-cifar at width 0.25, GroupNorm, batch 2,
# one thread, 2,400 images of the shipped subset (~1 minute); any train key=value overrides it.
# usage: jobs/profile-step.sh [key=value ...]      e.g. jobs/profile-step.sh norm=batch batch-size=32
#   PROFILE_JFR=FILE keeps the recording there (default: a temporary file)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
gnsweep_build_jar
jfr="${PROFILE_JFR:-$(mktemp --suffix=.jfr)}"
# shellcheck disable=SC2086 # GNSWEEP_GC: JVM options, one word each (jobs/lib.sh)
java $GNSWEEP_GC -XX:StartFlightRecording=filename="$jfr",settings=profile -jar "$GNSWEEP_JAR" train model=vgg-cifar \
  model-width=0.25 norm=group groups=8 batch-size=2 dataset.path=classpath:gnsweep/data/fashion-mnist-subset \
  dataset.train-limit=2400 dataset.test-limit=200 epochs=1 threads=1 "$@" 2>&1 | grep -E '^(trial|epoch|done)'
python3 "$GNSWEEP_ROOT/jobs/profile_step.py" "$jfr"
[[ -n "${PROFILE_JFR:-}" ]] || rm -f "$jfr"
