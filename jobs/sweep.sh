#!/usr/bin/env bash
# Runs a gnsweep sweep on Spark (local mode by default).
# usage: jobs/sweep.sh [spec.conf] [path=value ...] [--out DIR] [--rerun-failed] [--dry-run] [--help] [--version]
#                      [spark-submit options]
#   e.g. jobs/sweep.sh conf/sweeps/paper-batch.conf train.epochs=2 --master spark://127.0.0.1:7077
set -euo pipefail
source "$(dirname "$0")/lib.sh"
gnsweep_build
gnsweep_split_args "$@"
gnsweep_submit sweep
