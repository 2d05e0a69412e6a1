#!/usr/bin/env bash
# Benchmark suite (docs/speed.md): the GroupNorm layer vs DL4J's BatchNormalization and the memory floor, training
# throughput by norm kind vs sgemm (with a per-layer profile), the Spark harness's overhead and two concurrent
# trials. Every figure is a ratio of variants interleaved in one JVM run (medians over rounds), never an
# absolute time. Prints a table and writes target/bench/bench.csv (bench-quick.csv with --quick).
# --parts torch (not among the default parts): gnsweep vs PyTorch on one core, the same trials trained by
# `gnsweep train threads=1` and jobs/torch_speed.py in A B pairs (jobs/torch_bench.py); writes target/bench/torch.csv.
# usage: jobs/bench.sh [--quick] [--parts layer,train,harness,torch] [--threads N]
#   --quick    CI check (~1-2 min): exits 1 on a gross regression (GN > 3x BN, group < 0.33x batch images/s,
#              Spark overhead > 50%, a part that crashes); the full run (< 10 min) reports the targets
#              (ok / MISS) and exits 0 unless a part crashes.
#   --threads  native threads for the layer and training parts (default 1, as a Spark task gets)
#   BENCH_TRAIN_CONFIGS="vgg-cifar w0.25 bs4,small-cnn w1 bs4" BENCH_TRAIN_ROUNDS=15 BENCH_TRAIN_SECONDS=2
#              (environment) train only those configurations, for more and longer rounds than the default 5 x 0.6 s
#   BENCH_TORCH_CONFIGS=default|smoke|full|"vgg-cifar w0.25 group bs2 n600,resnet d20 w0.5 batch bs32 n1024 sgd"
#   BENCH_TORCH_ROUNDS=2 BENCH_TORCH_EPOCHS=1 BENCH_TORCH_CPU=1
#              (environment) the torch part's trials (default ~15 min, smoke ~1 min), A B pairs per trial, epochs
#              per run (the last one's figures: from 2 on the steady state), and a CPU to pin both sides to
#              (taskset; default none); /usr/bin/python3 jobs/torch_bench.py --help for more
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=jobs/lib.sh
source jobs/lib.sh
usage() { echo "usage: jobs/bench.sh [--quick] [--parts layer,train,harness,torch] [--threads N]" >&2; exit 2; }

QUICK=()
PARTS=(layer train harness)
THREADS=1
while (($#)); do
  case "$1" in
    --quick) QUICK=(--quick); shift ;;
    --parts) IFS=, read -r -a PARTS <<<"${2:?--parts needs a list}"; shift 2 ;;
    --threads) THREADS="${2:?--threads needs a number}"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage ;;
  esac
done
for p in "${PARTS[@]}"; do [[ "$p" =~ ^(layer|train|harness|torch)$ ]] || usage; done
[[ "$THREADS" =~ ^[0-9]+$ ]] || usage
TORCH=0
JAVA_PARTS=()
for p in "${PARTS[@]}"; do if [[ "$p" == torch ]]; then TORCH=1; else JAVA_PARTS+=("$p"); fi; done
if ((TORCH)) && ((${#QUICK[@]})); then echo "jobs/bench.sh: --parts torch has no --quick form" >&2; exit 2; fi

OUT=target/bench
mkdir -p "$OUT"

# The torch part: Debian's PyTorch for /usr/bin/python3 (installed when missing and run as root), the jar, then
# jobs/torch_bench.py, which runs the pairs, prints its table and writes $OUT/torch.csv (and torch.log, every run's
# output); its exit status is 1 when a trial failed or its two networks differ in parameter count.
torch_part() {
  local py=/usr/bin/python3
  if ! "$py" -c 'import torch, numpy' 2>/dev/null; then
    if ((EUID == 0)); then
      echo "installing python3-torch ..." >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >&2 \
        || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >&2; }
    else
      echo "jobs/bench.sh: --parts torch needs PyTorch for $py: sudo apt-get install -y python3-torch" >&2
      return 1
    fi
  fi
  gnsweep_build_jar
  echo "== torch" >&2
  "$py" jobs/torch_bench.py bench --jar "$GNSWEEP_JAR" --csv "$OUT/torch.csv"
}
if ((${#JAVA_PARTS[@]} == 0)); then
  torch_part
  exit
fi
PARTS=("${JAVA_PARTS[@]}")
# Build: main classes, the benchmarks (src/jmh -> target/bench/classes) and the run-time class path.
# Offline by default; BENCH_MVN_OFFLINE= (empty) lets Maven fetch JMH from Central on a fresh machine.
mvn ${BENCH_MVN_OFFLINE--o} -q -B -Pbench compile compiler:testCompile@bench-compile \
    dependency:build-classpath@bench-classpath >&2
# BENCH_MAIN_CLASSES: another build of src/main to measure instead (e.g. a baseline commit compiled elsewhere).
CP="${BENCH_MAIN_CLASSES:-target/classes}:$OUT/classes:$(cat "$OUT/classpath.txt")"
# shellcheck disable=SC2206 # GNSWEEP_GC: JVM options, one word each (jobs/lib.sh)
JAVA=(java -Xmx8g $GNSWEEP_GC -Djava.awt.headless=true \
  -Dlog4j2.configurationFile=conf/log4j2.properties -cp "$CP")

# One native thread per trial, as jobs/sweep.sh runs Spark tasks; the "no thread control" variant of the
# concurrency figure runs in a child JVM without OMP_NUM_THREADS.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

# Each part in its own JVM, so that a native crash in one (e.g. a broken layer) is reported, not fatal to all.
CSVS=()
start=$SECONDS
for p in "${PARTS[@]}"; do
  csv="$OUT/part-$p${QUICK:+-quick}.csv"
  rm -f "$csv"
  echo "== $p" >&2
  rc=0
  "${JAVA[@]}" io.gnsweep.bench.Bench "${QUICK[@]}" --parts "$p" --threads "$THREADS" --out "$OUT" \
      --csv "$(basename "$csv")" || rc=$?
  ((rc != 2)) || exit 2  # bad input (e.g. BENCH_TRAIN_CONFIGS), refused with its message before any work
  if ((rc != 0)) || [[ ! -s "$csv" ]]; then
    printf '%s\n%s\n' "part,metric,config,value,unit,target,quick_limit,status,note" \
      "$p,crashed,the $p part's JVM failed (see the log above),,,,,FAIL,hs_err_pid*.log in $PWD if native" > "$csv"
    mv -f hs_err_pid*.log "$OUT/" 2>/dev/null || true
  fi
  CSVS+=("$csv")
done
echo "== all parts: $((SECONDS - start)) s" >&2
status=0
"${JAVA[@]}" io.gnsweep.bench.Bench report "${QUICK[@]}" "$OUT/bench${QUICK:+-quick}.csv" "${CSVS[@]}" || status=$?
if [[ ${#QUICK[@]} -eq 0 ]] && grep -q ',crashed,' "${CSVS[@]}"; then status=1; fi
if ((TORCH)); then torch_part || status=1; fi
exit "$status"
