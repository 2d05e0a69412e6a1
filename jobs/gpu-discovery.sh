#!/usr/bin/env bash
# Spark GPU discovery script: prints {"name":"gpu","addresses":[...]} with the indices nvidia-smi lists.
# Always prints valid JSON: an empty address list when there is no GPU or no nvidia-smi.
# usage: jobs/gpu-discovery.sh   (Spark runs it; see conf/spark-gpu.conf)
set -uo pipefail
addresses=""
if command -v nvidia-smi >/dev/null 2>&1; then
  while IFS= read -r index; do
    index="${index//[^0-9]/}"
    [[ -n "$index" ]] && addresses+="${addresses:+,}\"$index\""
  done < <(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null)
fi
printf '{"name":"gpu","addresses":[%s]}\n' "$addresses"
