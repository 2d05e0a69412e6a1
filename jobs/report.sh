#!/usr/bin/env bash
# Compares sweeps from their Parquet tables: writes RESULTS_DIR/report/ (index.html, PNG charts, CSV and
# Markdown tables) and prints the main table.
# usage: jobs/report.sh RESULTS_DIR [RESULTS_DIR ...] [--out DIR] [spark-submit options]
#   e.g. jobs/report.sh results/quick
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if (($# == 0)); then
  sed -n '2,5p' "$0" >&2
  exit 2
fi
gnsweep_build
gnsweep_split_args "$@"
gnsweep_submit report
