# Shared by the jobs/ scripts (sourced, not run): build the jar, find a Spark launcher.
# shellcheck shell=bash

GNSWEEP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GNSWEEP_JAR="$GNSWEEP_ROOT/target/gnsweep.jar"
SPARK_JARS="$GNSWEEP_ROOT/target/spark-jars"
# gnsweep's JVMs' garbage collector (docs/speed.md): GNSWEEP_GC_OPTS replaces it, empty for the JVM's default
GNSWEEP_GC="${GNSWEEP_GC_OPTS--XX:+UseParallelGC}"

# Builds target/gnsweep.jar when missing or older than a source file or the pom.
gnsweep_build_jar() {
  if [[ ! -f "$GNSWEEP_JAR" ]] \
      || [[ -n "$(cd "$GNSWEEP_ROOT" && find pom.xml src/main -newer "$GNSWEEP_JAR" -print -quit 2>/dev/null)" ]]; then
    echo "building $GNSWEEP_JAR ..." >&2
    (cd "$GNSWEEP_ROOT" && mvn -q -B package -DskipTests) >&2
  fi
}

# Builds target/gnsweep.jar (and the Spark runtime jars in target/spark-jars) when missing, and rebuilds the
# jar when a source file or the pom is newer than it (after a git pull, say).
gnsweep_build() {
  gnsweep_build_jar
  if ! command -v spark-submit >/dev/null 2>&1 && [[ ! -d "$SPARK_JARS" ]]; then
    echo "collecting Spark's jars into $SPARK_JARS ..." >&2
    (cd "$GNSWEEP_ROOT" && mvn -q -B dependency:copy-dependencies -DincludeScope=compile -DexcludeGroupIds=org.nd4j,org.deeplearning4j,org.bytedeco \
        -DoutputDirectory="$SPARK_JARS") >&2
  fi
}

# Splits "$@" into spark-submit options (SUBMIT_OPTS) and application arguments (APP_ARGS).
# spark-submit options are --name value pairs, or --name=value (--master URL, --master=URL, --conf k=v ...),
# or --verbose / --supervise; gnsweep's own options (--out DIR or --out=DIR, the flags) stay with the application.
gnsweep_split_args() {
  SUBMIT_OPTS=()
  APP_ARGS=()
  while (($#)); do
    case "$1" in
      --verbose|-v|--supervise) SUBMIT_OPTS+=("$1"); shift ;;
      --rerun-failed|--dry-run|--help|-h|--version|-V) APP_ARGS+=("$1"); shift ;;
      --out) APP_ARGS+=("$1" "${2:?--out needs a folder}"); shift 2 ;;
      --out=*) APP_ARGS+=("$1"); shift ;;
      --*=*) SUBMIT_OPTS+=("$1"); shift ;;
      --*) SUBMIT_OPTS+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
      *) APP_ARGS+=("$1"); shift ;;
    esac
  done
}

# Runs io.gnsweep.Main COMMAND through spark-submit when it is on PATH, otherwise through Spark's own
# SparkSubmit class from the project's dependency jars (the driver then runs in this java process).
gnsweep_submit() {
  local command="$1"; shift
  local log_conf="$GNSWEEP_ROOT/conf/log4j2.properties"
  # one native thread per task unless the caller says otherwise (spark.task.cpus > 1 raises it per task)
  export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
  # bind Spark to loopback on a single machine; a cluster sets its own
  export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
  # the driver's and the executors' garbage collector; a --conf spark.executor.extraJavaOptions=... of the
  # caller's comes later and wins
  local gc="$GNSWEEP_GC"
  if command -v spark-submit >/dev/null 2>&1; then
    exec spark-submit --class io.gnsweep.Main \
      --driver-java-options "-Dlog4j2.configurationFile=$log_conf $gc" \
      --conf "spark.executor.extraJavaOptions=$gc" \
      "${SUBMIT_OPTS[@]}" "$GNSWEEP_JAR" "$command" "${APP_ARGS[@]}"
  else
    # shellcheck disable=SC2086 # gc: JVM options, one word each
    exec java -Xmx"${GNSWEEP_DRIVER_MEMORY:-8g}" -Dlog4j2.configurationFile="$log_conf" $gc \
      -cp "$SPARK_JARS/*" org.apache.spark.deploy.SparkSubmit --class io.gnsweep.Main \
      --conf "spark.executor.extraJavaOptions=$gc" \
      "${SUBMIT_OPTS[@]}" "$GNSWEEP_JAR" "$command" "${APP_ARGS[@]}"
  fi
}
