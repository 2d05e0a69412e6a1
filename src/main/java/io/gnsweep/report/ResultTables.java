package io.gnsweep.report;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.stddev_samp;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import static io.gnsweep.tables.ResultColumns.*;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;

/**
 * The trials and epochs tables of one or more sweeps, read with Spark and aggregated over seeds
 * with the DataFrame API. Only COMPLETE trials with a test accuracy enter a statistic; FAILED and
 * DIVERGED trials are counted per cell and listed by {@link #trials()}.
 *
 * <p>Where a trial was written more than once (a retried task), its row with the highest
 * {@code attempt} (then latest {@code finished_at}) is the one kept.
 */
public final class ResultTables {

  private static final List<String> REQUIRED_TRIAL_COLUMNS =
      List.of(SWEEP_ID, TRIAL_ID, NORM, GROUPS, BATCH_SIZE, SEED, STATUS,
          ERROR, TEST_ACCURACY, ATTEMPT);

  private final Dataset<Row> trials;
  private final Dataset<Row> epochs; // null when no sweep has an epochs table
  private final List<String> notes;

  private ResultTables(Dataset<Row> trials, Dataset<Row> epochs, List<String> notes) {
    this.trials = trials;
    this.epochs = epochs;
    this.notes = notes;
  }

  /**
   * Reads {@code DIR/trials} (required) and {@code DIR/epochs} (optional) of each results folder.
   *
   * @throws BadInputException naming the folder or table that is missing or unreadable
   */
  public static ResultTables read(SparkSession spark, List<String> resultsDirs)
      throws BadInputException {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    List<String> trialPaths = new ArrayList<>();
    List<String> epochPaths = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (String dir : resultsDirs) {
      Path root = new Path(dir);
      if (!exists(root, hadoop)) {
        throw new BadInputException("no such results folder: " + dir);
      }
      Path trialsPath = new Path(root, "trials");
      if (!exists(trialsPath, hadoop)) {
        throw new BadInputException("no trials table in " + dir + " (expected " + trialsPath + ")");
      }
      trialPaths.add(trialsPath.toString());
      Path epochsPath = new Path(root, "epochs");
      if (exists(epochsPath, hadoop)) {
        epochPaths.add(epochsPath.toString());
      } else {
        notes.add("no epochs table in " + dir + ": its per-epoch curves are missing");
      }
    }
    Dataset<Row> trials = readParquet(spark, trialPaths, "trials");
    List<String> columns = Arrays.asList(trials.columns());
    for (String c : REQUIRED_TRIAL_COLUMNS) {
      if (!columns.contains(c)) {
        throw new BadInputException("trials table " + trialPaths + " has no column " + c);
      }
    }
    Dataset<Row> epochs = epochPaths.isEmpty() ? null : readParquet(spark, epochPaths, "epochs");
    Dataset<Row> latest = latestAttempt(trials);
    return new ResultTables(latest.withColumn("variant", variant(latest)).cache(), epochs,
        List.copyOf(notes));
  }

  /**
   * The settings besides norm, groups and batch size that tell configurations apart, with the
   * label each gets and the value a row written before the column existed stands for (null: none).
   */
  private static final List<List<String>> VARIANT_COLUMNS = List.of(
      Arrays.asList(MODEL, "model", null),
      Arrays.asList(MODEL_DEPTH, "depth", null),
      Arrays.asList(MODEL_WIDTH, "width", null),
      Arrays.asList(ZERO_INIT_LAST_NORM, "zero-init", null),
      Arrays.asList(OPTIMIZER, "optimizer", "adam"),
      Arrays.asList(MOMENTUM, "momentum", null),
      Arrays.asList(NESTEROV, "nesterov", null),
      Arrays.asList(WEIGHT_DECAY, "wd", "0.0"),
      Arrays.asList(LR_SCHEDULE, "schedule", "constant"),
      Arrays.asList(LR_MILESTONES, "milestones", null),
      Arrays.asList(LR_DECAY, "lr-decay", null),
      Arrays.asList(WARMUP_EPOCHS, "warm-up", "0.0"),
      Arrays.asList(AUGMENT, "augment", "none"),
      Arrays.asList(EPOCHS, "epochs", null));

  /**
   * A label of the settings that vary across the compared trials ("optimizer=sgd, wd=1.0E-4"),
   * empty when only norm, groups and batch size do: cells, curves and trials are told apart by it.
   */
  private static Column variant(Dataset<Row> trials) {
    List<String> present = Arrays.asList(trials.columns());
    List<Column> values = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (List<String> v : VARIANT_COLUMNS) {
      if (present.contains(v.get(0))) {
        values.add(coalesce(col(v.get(0)).cast("string"), lit(v.get(2) == null ? "-" : v.get(2))));
        names.add(v.get(1));
      }
    }
    if (values.isEmpty()) {
      return lit("");
    }
    Row distinct = trials.agg(countDistinct(values.get(0)),
        values.subList(1, values.size()).stream().map(c -> countDistinct(c)).toArray(Column[]::new))
        .first();
    List<Column> parts = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      if (distinct.getLong(i) > 1) {
        parts.add(concat(lit(names.get(i) + "="), values.get(i)));
      }
    }
    return parts.isEmpty() ? lit("") : concat_ws(", ", parts.toArray(Column[]::new));
  }

  /** Things the reader noticed (a missing epochs table), for the page and stderr. */
  public List<String> notes() {
    return notes;
  }

  /** Every (norm, groups, batch size) cell, aggregated over seeds, in display order. */
  public List<Cell> cells() {
    Column complete = col(STATUS).equalTo("COMPLETE").and(col(TEST_ACCURACY).isNotNull());
    Dataset<Row> agg = trials.groupBy(NORM, GROUPS, BATCH_SIZE, "variant").agg(
        sum(when(complete, 1).otherwise(0)).cast("long").as("n"),
        sum(when(col(STATUS).equalTo("FAILED"), 1).otherwise(0)).cast("long").as("n_failed"),
        sum(when(col(STATUS).equalTo("DIVERGED"), 1).otherwise(0)).cast("long")
            .as("n_diverged"),
        avg(when(complete, col(TEST_ACCURACY))).as("mean_acc"),
        stddev_samp(when(complete, col(TEST_ACCURACY))).as("std_acc"),
        avg(when(complete, col(IMAGES_PER_S))).as("mean_ips"),
        avg(when(complete, col(TRAIN_TIME_S))).as("mean_time"));
    List<Cell> cells = new ArrayList<>();
    for (Row r : agg.collectAsList()) {
      long n = r.getLong(r.fieldIndex("n"));
      cells.add(new Cell(
          r.getString(0),
          r.isNullAt(1) ? null : r.getInt(1),
          r.getInt(2),
          n,
          r.getLong(r.fieldIndex("n_failed")),
          r.getLong(r.fieldIndex("n_diverged")),
          nullable(r, "mean_acc"),
          n < 2 ? null : nullable(r, "std_acc"),
          nullable(r, "mean_ips"),
          nullable(r, "mean_time"),
          r.getString(r.fieldIndex("variant"))));
    }
    cells.sort(CELL_ORDER);
    return cells;
  }

  /**
   * The batch size of the group-count comparison: the most common one among group, layer and
   * instance trials (ties: the larger batch size), or empty when there are none.
   */
  public Optional<Integer> groupComparisonBatchSize() {
    List<Row> top = trials.filter(col(NORM).isin("group", "layer", "instance"))
        .groupBy(BATCH_SIZE).agg(count(lit(1)).as("trials"))
        .orderBy(desc("trials"), desc(BATCH_SIZE)).limit(1).collectAsList();
    return top.isEmpty() ? Optional.empty() : Optional.of(top.get(0).getInt(0));
  }

  /** Per-epoch means over the COMPLETE trials of each configuration; empty without epochs. */
  public List<EpochPoint> epochCurves() {
    if (epochs == null) {
      return List.of();
    }
    Dataset<Row> done = trials.filter(col(STATUS).equalTo("COMPLETE"))
        .select(SWEEP_ID, TRIAL_ID, NORM, GROUPS, BATCH_SIZE, "variant");
    Dataset<Row> agg = epochs.dropDuplicates(SWEEP_ID, TRIAL_ID, EPOCH)
        .join(done, new String[] {SWEEP_ID, TRIAL_ID})
        .groupBy(NORM, GROUPS, BATCH_SIZE, EPOCH, "variant")
        .agg(count(lit(1)).as("n"), avg(TEST_ACCURACY).as("acc"), avg(TRAIN_LOSS).as("loss"))
        .orderBy("variant", NORM, GROUPS, BATCH_SIZE, EPOCH);
    List<EpochPoint> points = new ArrayList<>();
    for (Row r : agg.collectAsList()) {
      points.add(new EpochPoint(r.getString(0), r.isNullAt(1) ? null : r.getInt(1), r.getInt(2),
          r.getInt(3), r.getLong(5), nullable(r, "acc"), nullable(r, "loss"), r.getString(4)));
    }
    return points;
  }

  /** Every trial, whatever its status, ordered by configuration then seed. */
  public List<TrialRecord> trials() {
    Dataset<Row> t = trials.select(col(SWEEP_ID), col(TRIAL_ID), col(NORM), col(GROUPS),
        col(BATCH_SIZE), col(SEED), col(STATUS), col(TEST_ACCURACY), col(ERROR),
        col(ATTEMPT), hasColumn(TRAIN_TIME_S) ? col(TRAIN_TIME_S) : lit(null).cast("double"),
        col("variant"));
    List<TrialRecord> out = new ArrayList<>();
    for (Row r : t.collectAsList()) {
      out.add(new TrialRecord(r.getString(0), r.getString(1), r.getString(2),
          r.isNullAt(3) ? null : r.getInt(3), r.getInt(4), r.isNullAt(5) ? null : r.getInt(5),
          r.getString(6), r.isNullAt(7) ? null : r.getDouble(7), r.getString(8),
          r.isNullAt(9) ? null : r.getInt(9), r.isNullAt(10) ? null : r.getDouble(10),
          r.getString(11)));
    }
    out.sort(Comparator.comparing(TrialRecord::variant)
        .thenComparing((TrialRecord x) -> Cell.normRank(x.norm()))
        .thenComparing(TrialRecord::norm)
        .thenComparing(TrialRecord::groups, Comparator.nullsFirst(Comparator.naturalOrder()))
        .thenComparing(TrialRecord::batchSize)
        .thenComparing(TrialRecord::seed, Comparator.nullsFirst(Comparator.naturalOrder()))
        .thenComparing(TrialRecord::sweepId, Comparator.nullsFirst(Comparator.naturalOrder()))
        .thenComparing(TrialRecord::trialId, Comparator.nullsFirst(Comparator.naturalOrder())));
    return out;
  }

  /** One row per sweep: what it ran and on which software (the provenance columns present). */
  public Table sweeps() {
    List<String> wanted = List.of(SWEEP_NAME, SWEEP_ID, DATASET, MODEL, GNSWEEP_VERSION,
        GIT_COMMIT, DL4J_VERSION, ND4J_BACKEND, SPARK_VERSION, JAVA_VERSION, DEVICE);
    List<Column> keys = new ArrayList<>();
    List<String> header = new ArrayList<>();
    for (String c : wanted) {
      if (hasColumn(c)) {
        keys.add(col(c).cast("string"));
        header.add(c);
      }
    }
    Dataset<Row> agg = trials.groupBy(keys.toArray(Column[]::new))
        .agg(count(lit(1)).as("trials")).orderBy(keys.toArray(Column[]::new));
    header.add("trials");
    List<List<String>> rows = new ArrayList<>();
    for (Row r : agg.collectAsList()) {
      List<String> row = new ArrayList<>();
      for (int i = 0; i < r.length(); i++) {
        row.add(r.isNullAt(i) ? "" : String.valueOf(r.get(i)));
      }
      rows.add(row);
    }
    return new Table("sweeps", "Sweeps", "What was run, and on which software.", header, rows);
  }

  /** Cell order: variant, norm kind (paper order), group count, batch size. */
  static final Comparator<Cell> CELL_ORDER =
      Comparator.comparing(Cell::variant)
          .thenComparing((Cell c) -> Cell.normRank(c.norm()))
          .thenComparing(Cell::norm)
          .thenComparing(Cell::groups, Comparator.nullsFirst(Comparator.naturalOrder()))
          .thenComparing(Cell::batchSize);

  private boolean hasColumn(String name) {
    return Arrays.asList(trials.columns()).contains(name);
  }

  private static Dataset<Row> latestAttempt(Dataset<Row> trials) {
    List<Column> order = new ArrayList<>();
    order.add(col(ATTEMPT).desc_nulls_last());
    if (Arrays.asList(trials.columns()).contains(FINISHED_AT)) {
      order.add(col(FINISHED_AT).desc_nulls_last());
    }
    return trials
        .withColumn("_rank", row_number().over(Window.partitionBy(SWEEP_ID, TRIAL_ID)
            .orderBy(order.toArray(Column[]::new))))
        .filter(col("_rank").equalTo(1)).drop("_rank");
  }

  private static Dataset<Row> readParquet(SparkSession spark, List<String> paths, String what)
      throws BadInputException {
    try {
      // mergeSchema: tables written before a column existed (the protocol columns) read beside newer ones
      return spark.read().option("mergeSchema", "true").parquet(paths.toArray(String[]::new));
    } catch (Exception e) { // AnalysisException (checked in Java's eyes): not Parquet, empty...
      String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst()
          .orElse(e.toString());
      throw new BadInputException("cannot read the " + what + " table " + paths + ": " + msg);
    }
  }

  private static boolean exists(Path path, Configuration hadoop) throws BadInputException {
    try {
      FileSystem fs = path.getFileSystem(hadoop);
      return fs.exists(path);
    } catch (IOException | RuntimeException e) {
      throw new BadInputException("cannot open " + path + ": " + e.getMessage());
    }
  }

  private static Double nullable(Row r, String field) {
    int i = r.fieldIndex(field);
    return r.isNullAt(i) ? null : r.getDouble(i);
  }
}
