#!/usr/bin/env bash
# Device checks for gnsweep on a real GPU machine (no Java/Maven needed there), run from the repo root:
#   bash .devcheck/run.sh        (writes the full log to $OUT/devcheck.log)
# 1. nvidia-smi and jobs/gpu-discovery.sh (must print valid Spark discovery JSON)
# 2. io.gnsweep.runtime.GpuCheck.problem("0") through a jlinked JRE (.devcheck/jre) and only GpuCheck's class
# 3. jobs/torch_groupnorm_check.py on .devcheck/vectors-head (git HEAD's layer) and .devcheck/vectors (working tree) (written here by io.gnsweep.layer.TorchVectors)
# 4. the pandas snippet of docs/results-schema.md on docs/study/study-batch
OUT="${OUT:-/tmp/devcheck-out}"
mkdir -p "$OUT"
set -o pipefail

main() {
  local rc_smi rc_disc rc_json rc_java rc_torch rc_pandas
  echo "=== devcheck $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm)"
  echo
  echo "=== 1a. nvidia-smi"
  nvidia-smi; rc_smi=$?
  nvidia-smi --query-gpu=index,name,compute_cap,driver_version,memory.total --format=csv
  echo "--- the query GpuCheck makes: nvidia-smi --query-gpu=compute_cap,name --format=csv,noheader -i 0"
  nvidia-smi --query-gpu=compute_cap,name --format=csv,noheader -i 0
  echo
  echo "=== 1b. bash jobs/gpu-discovery.sh"
  local disc
  disc="$(bash jobs/gpu-discovery.sh)"; rc_disc=$?
  echo "stdout: $disc"
  echo "exit: $rc_disc"
  DISC="$disc" python3 -c '
import json, os
d = json.loads(os.environ["DISC"])
assert set(d) == {"name", "addresses"}, d
assert d["name"] == "gpu" and isinstance(d["addresses"], list) and all(isinstance(a, str) and a.isdigit() for a in d["addresses"]), d
print("valid discovery JSON:", d)
'; rc_json=$?
  echo
  echo "=== 2. GpuCheck.problem(\"0\")"
  echo "system java: $(command -v java || echo 'none')"
  chmod +x .devcheck/jre/bin/* .devcheck/jre/lib/jspawnhelper 2>/dev/null
  .devcheck/jre/bin/java -version 2>&1 | head -1
  echo "classpath .devcheck/classes holds: $(cd .devcheck/classes && find . -name '*.class' | sort | tr '\n' ' ')"
  .devcheck/jre/bin/java -cp .devcheck/classes GpuCheckDriver 0; rc_java=$?
  echo "exit: $rc_java"
  echo
  echo "=== 3. torch group_norm cross-check"
  python3 -c 'import torch, numpy; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), "numpy", numpy.__version__)'
  cat .devcheck/vectors.txt
  local v rc; rc_torch=""
  for v in vectors-head vectors; do
    echo "--- .devcheck/$v"
    PYTHONUNBUFFERED=1 python3 jobs/torch_groupnorm_check.py .devcheck/$v; rc=$?
    echo "exit ($v): $rc"; rc_torch+="$v=$rc "
  done
  echo
  echo "=== 4. docs/results-schema.md pandas snippet on docs/study/study-batch"
  PYTHONUNBUFFERED=1 python3 - <<'EOF'
# pandas (pyarrow)  -- the docs/results-schema.md snippet as written, path adapted from results/quick
import pandas as pd
trials = pd.read_parquet("docs/study/study-batch/trials")
epochs = pd.read_parquet("docs/study/study-batch/epochs")
# --- end of snippet; what follows only prints what it read
import pyarrow
pd.set_option("display.width", 200)
pd.set_option("display.max_columns", 50)
print("pandas", pd.__version__, "pyarrow", pyarrow.__version__)
print("trials:", trials.shape, " epochs:", epochs.shape)
print(trials.dtypes.to_string())
print(trials[["trial_id", "norm", "groups", "batch_size", "seed", "status", "test_accuracy", "device"]]
      .sort_values("trial_id").head(8).to_string(index=False))
print("--- mean test_accuracy by norm, groups, batch_size (as the DuckDB query of docs/results-schema.md; dropna=False keeps groups=null)")
print(trials.groupby(["norm", "groups", "batch_size"], dropna=False)["test_accuracy"].agg(["mean", "count"]).to_string())
print(epochs.dtypes.to_string())
print(epochs.sort_values(["trial_id", "epoch"]).head(4).to_string(index=False))
EOF
  rc_pandas=$?
  echo "exit: $rc_pandas"
  echo
  echo "=== summary: nvidia-smi $rc_smi, discovery $rc_disc (json check $rc_json), GpuCheck driver $rc_java, torch check $rc_torch, pandas $rc_pandas"
}

main 2>&1 | tee "$OUT/devcheck.log"
