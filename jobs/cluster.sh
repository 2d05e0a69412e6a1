#!/usr/bin/env bash
# A Spark standalone cluster on this machine (loopback only), from the project's own Spark jars.
# usage: jobs/cluster.sh start [WORKERS] [CORES_PER_WORKER] | stop | status
#   start   a Master and WORKERS Workers (default 2 x 1 core), with RPC authentication (a random secret);
#           waits until every worker has registered, then prints the master URL and how to submit
#   stop    ends the processes start recorded (by pid; executors of its workers too); safe to repeat
#   status  what is running and the master URL
# environment:
#   GNSWEEP_CLUSTER_DIR         state folder: SPARK_HOME, pids, logs, work dirs, the secret (default target/cluster)
#   GNSWEEP_MASTER_PORT         master RPC port (default 7077)
#   GNSWEEP_MASTER_UI_PORT      master web UI port (default 8080; it serves /json/ that start polls)
#   GNSWEEP_WORKER_UI_PORT      first worker's web UI port, the next ones count up (default 0: any free port)
#   GNSWEEP_WORKER_MEMORY       memory each worker offers to executors (default: Spark's, RAM - 1g)
#   GNSWEEP_SPARK_JARS          Spark's runtime jars (default target/spark-jars, collected when missing)
#   GNSWEEP_START_TIMEOUT       seconds to wait for the master and the workers (default 90)
#   GNSWEEP_WORKER_GPUS         GPUs each worker offers (default 0); worker i gets its own slice of the
#                               addresses jobs/gpu-discovery.sh lists (workers on one host must not share one)
#   GNSWEEP_FAKE_GPUS           1: made-up addresses 0..WORKERS*GPUS-1 instead (tests GPU scheduling without GPUs)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${GNSWEEP_CLUSTER_DIR:-$ROOT/target/cluster}"
MASTER_PORT="${GNSWEEP_MASTER_PORT:-7077}"
MASTER_UI_PORT="${GNSWEEP_MASTER_UI_PORT:-8080}"
WORKER_UI_PORT="${GNSWEEP_WORKER_UI_PORT:-0}"
JARS="${GNSWEEP_SPARK_JARS:-$ROOT/target/spark-jars}"
START_TIMEOUT="${GNSWEEP_START_TIMEOUT:-90}"
[[ ! -d "$STATE" ]] || STATE="$(cd "$STATE" && pwd)"
CONF="$STATE/spark-defaults.conf"
PIDS="$STATE/pids"
LOGS="$STATE/logs"

usage() {
  echo "usage: jobs/cluster.sh start [WORKERS] [CORES_PER_WORKER] | stop | status   (default: 2 workers x 1 core)" >&2
  exit 2
}

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

# The pid in a pid file when that process is alive and still one that start launched (its command line
# names this state folder: a recycled pid is not ours); empty otherwise.
live_pid() {
  local file="$1" pid
  [[ -f "$file" ]] || return 0
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$STATE/"; then
    echo "$pid"
  fi
}

# All descendants of a pid (children first found through /proc/<pid>/task/*/children).
descendants() {
  local pid="$1" child
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

master_url() {
  echo "spark://127.0.0.1:$MASTER_PORT"
}

# Runs org.apache.spark.launcher.Main (what bin/spark-class runs) and sets LAUNCH_CMD to the java command
# line it prints: messages, then NUL + newline, then the NUL-separated arguments.
launch_command() {
  local parts=()
  mapfile -d '' -t parts < <(SPARK_HOME="$STATE/spark-home" java -Xmx128m -cp "$STATE/spark-home/jars/*" \
    org.apache.spark.launcher.Main "$@")
  ((${#parts[@]} >= 2)) || die "org.apache.spark.launcher.Main printed no command for $1"
  [[ -z "${parts[0]}" ]] || echo "${parts[0]}" >&2
  LAUNCH_CMD=("${parts[1]#$'\n'}" "${parts[@]:2}")
}

# Starts one daemon in the background (detached from this shell's input and output), records its pid.
spawn() {
  local name="$1"; shift
  nohup "$@" </dev/null >"$LOGS/$name.out" 2>&1 &
  echo $! >"$PIDS/$name.pid"
}

# Writes worker I's properties (the cluster's, plus its GPUs) and its own discovery script, which prints
# addresses (I-1)*K .. I*K-1 of the list (real: jobs/gpu-discovery.sh; fake: 0..), so no two workers on
# this host claim the same GPU.
gpu_worker_conf() {
  local i="$1" k="$2" props="$3" script="$STATE/gpu-discovery-worker-$1.sh" first=$(( ($1 - 1) * $2 ))
  {
    echo '#!/usr/bin/env bash'
    echo "# GPU discovery for worker $i of jobs/cluster.sh: addresses $first..$((first + k - 1)) of the list"
    if [[ "${GNSWEEP_FAKE_GPUS:-0}" == 1 ]]; then
      echo "all=\"\$(seq -s ' ' 0 $((first + k - 1)))\""
    else
      echo "all=\"\$('$ROOT/jobs/gpu-discovery.sh' | grep -o '\"[0-9]*\"' | tr -d '\"' | tr '\\n' ' ')\""
    fi
    echo "mine=\$(echo \$all | tr ' ' '\\n' | sed -n '$((first + 1)),$((first + k))p' | sed 's/.*/\"&\"/' | paste -sd, -)"
    echo 'echo "{\"name\":\"gpu\",\"addresses\":[$mine]}"'
  } >"$script"
  chmod +x "$script"
  (
    umask 077
    cat "$CONF" >"$props"
    echo "spark.worker.resource.gpu.amount $k" >>"$props"
    echo "spark.worker.resource.gpu.discoveryScript $script" >>"$props"
  )
}

# Number of workers the master's JSON lists as ALIVE ("aliveworkers"), or empty while it does not answer.
alive_workers() {
  curl -fsS --max-time 2 "http://127.0.0.1:$MASTER_UI_PORT/json/" 2>/dev/null \
    | grep -o '"aliveworkers" *: *[0-9]*' | grep -o '[0-9]*$' || true
}

collect_jars() {
  [[ -d "$JARS" ]] && return 0
  [[ -z "${GNSWEEP_SPARK_JARS:-}" ]] || die "GNSWEEP_SPARK_JARS=$JARS: no such folder"
  echo "collecting Spark's jars into $JARS ..." >&2
  # the same collection as jobs/lib.sh's gnsweep_build (which also builds the jar, not needed here)
  (cd "$ROOT" && mvn -q -B dependency:copy-dependencies -DincludeScope=compile \
      -DexcludeGroupIds=org.nd4j,org.deeplearning4j,org.bytedeco -DoutputDirectory="$JARS") >&2
}

start() {
  local workers="${1:-2}" cores="${2:-1}" i pid n waited
  [[ "$workers" =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a positive integer, not '$workers'"
  [[ "$cores" =~ ^[1-9][0-9]*$ ]] || die "CORES_PER_WORKER must be a positive integer, not '$cores'"
  for port in "$MASTER_PORT" "$MASTER_UI_PORT" "$WORKER_UI_PORT"; do
    [[ "$port" =~ ^[0-9]+$ ]] || die "ports must be numbers, not '$port'"
  done
  if [[ -d "$PIDS" ]]; then
    for f in "$PIDS"/*.pid; do
      [[ -e "$f" ]] || continue
      [[ -z "$(live_pid "$f")" ]] || die "already running (see jobs/cluster.sh status; jobs/cluster.sh stop first)"
    done
  fi
  command -v curl >/dev/null || die "needs curl (to ask the master which workers registered)"
  collect_jars

  mkdir -p "$STATE"
  STATE="$(cd "$STATE" && pwd)"
  CONF="$STATE/spark-defaults.conf"; PIDS="$STATE/pids"; LOGS="$STATE/logs"
  rm -rf "$PIDS" "$STATE/spark-home"
  mkdir -p "$PIDS" "$LOGS" "$STATE/spark-home/conf" "$STATE/work" "$STATE/local"
  ln -s "$(cd "$JARS" && pwd)" "$STATE/spark-home/jars"

  # RPC authentication: a fresh random secret, readable by this user only
  local secret
  secret="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
  (
    umask 077
    rm -f "$CONF"
    {
      echo "# written by jobs/cluster.sh start; holds the cluster's RPC secret (keep it private)"
      echo "spark.master $(master_url)"
      echo "spark.authenticate true"
      echo "spark.authenticate.secret $secret"
      # all the cluster's cores, so that a job waits for all its executors (minRegisteredResourcesRatio)
      echo "spark.cores.max $((workers * cores))"
    } >"$CONF"
  )
  chmod 600 "$CONF"

  export SPARK_HOME="$STATE/spark-home"
  export SPARK_SCALA_VERSION=2.13
  export SPARK_LOCAL_IP=127.0.0.1
  export SPARK_LOCAL_DIRS="$STATE/local"
  export SPARK_LOG_DIR="$LOGS"
  # no REST submission server (it would listen on port 6066)
  export SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false ${SPARK_MASTER_OPTS:-}"
  # the daemons read the secret from the properties file (not from their command lines, which ps shows)
  launch_command org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$MASTER_PORT" \
    --webui-port "$MASTER_UI_PORT" --properties-file "$CONF"
  spawn master "${LAUNCH_CMD[@]}"
  # the launcher appends the arguments to the class name: one call serves every worker
  launch_command org.apache.spark.deploy.worker.Worker
  local worker_cmd=("${LAUNCH_CMD[@]}")
  waited=0
  until [[ -n "$(alive_workers)" ]]; do
    [[ -n "$(live_pid "$PIDS/master.pid")" ]] || { tail -n 30 "$LOGS/master.out" >&2; stop >/dev/null; die "the master did not start (log: $LOGS/master.out)"; }
    ((waited++ < START_TIMEOUT * 4)) || { stop >/dev/null; die "the master did not answer on port $MASTER_UI_PORT within ${START_TIMEOUT}s"; }
    sleep 0.25
  done

  local mem_args=()
  [[ -z "${GNSWEEP_WORKER_MEMORY:-}" ]] || mem_args=(--memory "$GNSWEEP_WORKER_MEMORY")
  local gpus="${GNSWEEP_WORKER_GPUS:-0}"
  [[ "$gpus" =~ ^[0-9]+$ ]] || die "GNSWEEP_WORKER_GPUS must be a whole number, not '$gpus'"
  for ((i = 1; i <= workers; i++)); do
    local ui=0 props="$CONF"
    ((WORKER_UI_PORT == 0)) || ui=$((WORKER_UI_PORT + i - 1))
    mkdir -p "$STATE/work/worker-$i"
    if ((gpus > 0)); then
      props="$STATE/worker-$i.conf"
      gpu_worker_conf "$i" "$gpus" "$props"
    fi
    spawn "worker-$i" "${worker_cmd[@]}" --host 127.0.0.1 --cores "$cores" "${mem_args[@]}" \
      --webui-port "$ui" --work-dir "$STATE/work/worker-$i" --properties-file "$props" "$(master_url)"
  done

  waited=0
  while :; do
    n="$(alive_workers)"
    [[ "${n:-0}" -ge "$workers" ]] && break
    for ((i = 1; i <= workers; i++)); do
      [[ -n "$(live_pid "$PIDS/worker-$i.pid")" ]] || { tail -n 30 "$LOGS/worker-$i.out" >&2; stop >/dev/null; die "worker $i ended (log: $LOGS/worker-$i.out)"; }
    done
    ((waited++ < START_TIMEOUT * 4)) || { stop >/dev/null; die "only ${n:-0} of $workers workers registered within ${START_TIMEOUT}s (logs: $LOGS)"; }
    sleep 0.25
  done

  echo "$(master_url)"
  echo "started: master + $workers worker(s) x $cores core(s), web UI http://127.0.0.1:$MASTER_UI_PORT, state in $STATE" >&2
  echo "submit:  jobs/sweep.sh --master $(master_url) --properties-file $CONF" >&2
  echo "stop:    jobs/cluster.sh stop" >&2
}

# Sends TERM to the recorded processes (workers first, then the master) and to the executors they
# launched, waits, then KILLs whatever is left of them.
stop() {
  local f pid pids=() name
  if [[ -d "$PIDS" ]]; then
    for f in "$PIDS"/worker-*.pid "$PIDS"/master.pid; do
      [[ -e "$f" ]] || continue
      pid="$(live_pid "$f")"
      if [[ -n "$pid" ]]; then
        pids+=("$pid")
        # executors (children of workers): they normally end with their worker, but not after a SIGKILL
        mapfile -t -O "${#pids[@]}" pids < <(descendants "$pid")
        name="$(basename "$f" .pid)"
        echo "stopping $name (pid $pid)" >&2
      fi
    done
  fi
  if ((${#pids[@]})); then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local waited=0 alive
    while :; do
      alive=()
      for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null && alive+=("$pid")
      done
      ((${#alive[@]})) || break
      if ((waited++ >= 60)); then
        kill -KILL "${alive[@]}" 2>/dev/null || true
        break
      fi
      sleep 0.25
    done
  fi
  rm -f "$PIDS"/*.pid 2>/dev/null || true
  echo "stopped" >&2
}

status() {
  local f pid any=0
  if [[ -d "$PIDS" ]]; then
    for f in "$PIDS"/master.pid "$PIDS"/worker-*.pid; do
      [[ -e "$f" ]] || continue
      pid="$(live_pid "$f")"
      if [[ -n "$pid" ]]; then
        echo "$(basename "$f" .pid): running (pid $pid)"
        any=1
      else
        echo "$(basename "$f" .pid): not running (pid $(<"$f"))"
      fi
    done
  fi
  if ((any)); then
    echo "master: $(master_url) (workers alive: $(alive_workers || true); properties: $CONF)"
  else
    echo "not running (state folder $STATE)"
    return 3
  fi
}

(($#)) || usage
case "$1" in
  start) shift; (($# <= 2)) || usage; start "$@" ;;
  stop) (($# == 1)) || usage; stop ;;
  status) (($# == 1)) || usage; status ;;
  -h|--help) usage ;;
  *) usage ;;
esac
