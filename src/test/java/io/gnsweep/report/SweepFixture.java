package io.gnsweep.report;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Writes a small sweep's {@code trials} and {@code epochs} Parquet tables with exactly the
 * sweep job's schema, and keeps the trial rows so tests can aggregate them independently.
 *
 * <p>Layout: batch sizes 2..32; BN, GN (G=8 everywhere, G=1,2,4,16 at batch 32), LN, IN, and
 * no norm at 32. Batch size 2 cells have one seed (n = 1); BN at batch 2 has three seeds of
 * which one FAILED and one DIVERGED (n = 1 again); GN G=4 at 32 has one FAILED seed of three
 * (n = 2). Batch 32 is the most common group/layer/instance batch size.
 */
final class SweepFixture {

  /** A trial as written, the fields the report aggregates. */
  record Trial(String trialId, String norm, Integer groups, int batchSize, int seed,
      String status, Double testAccuracy, String error, double imagesPerS) {}

  static final StructType TRIALS = new StructType(new StructField[] {
      f("sweep_name", DataTypes.StringType), f("sweep_id", DataTypes.StringType),
      f("trial_id", DataTypes.StringType), f("norm", DataTypes.StringType),
      f("groups", DataTypes.IntegerType), f("batch_size", DataTypes.IntegerType),
      f("lr", DataTypes.DoubleType), f("epochs", DataTypes.IntegerType),
      f("seed", DataTypes.IntegerType), f("dataset", DataTypes.StringType),
      f("model", DataTypes.StringType), f("status", DataTypes.StringType),
      f("error", DataTypes.StringType), f("test_accuracy", DataTypes.DoubleType),
      f("test_loss", DataTypes.DoubleType), f("best_test_accuracy", DataTypes.DoubleType),
      f("train_loss", DataTypes.DoubleType), f("train_time_s", DataTypes.DoubleType),
      f("images_per_s", DataTypes.DoubleType), f("num_params", DataTypes.LongType),
      f("started_at", DataTypes.TimestampType), f("finished_at", DataTypes.TimestampType),
      f("attempt", DataTypes.IntegerType), f("executor_id", DataTypes.StringType),
      f("host", DataTypes.StringType), f("device", DataTypes.StringType),
      f("gnsweep_version", DataTypes.StringType), f("git_commit", DataTypes.StringType),
      f("dl4j_version", DataTypes.StringType), f("nd4j_backend", DataTypes.StringType),
      f("spark_version", DataTypes.StringType), f("java_version", DataTypes.StringType),
      f("os", DataTypes.StringType), f("arch", DataTypes.StringType)});

  static final StructType EPOCHS = new StructType(new StructField[] {
      f("sweep_id", DataTypes.StringType), f("trial_id", DataTypes.StringType),
      f("epoch", DataTypes.IntegerType), f("train_loss", DataTypes.DoubleType),
      f("test_loss", DataTypes.DoubleType), f("test_accuracy", DataTypes.DoubleType),
      f("epoch_time_s", DataTypes.DoubleType), f("images_per_s", DataTypes.DoubleType)});

  static final String FAILED_ERROR = "java.lang.OutOfMemoryError: Java heap space";
  static final String DIVERGED_ERROR = "loss is NaN at epoch 2";
  static final int EPOCH_COUNT = 3;

  final List<Trial> trials = new ArrayList<>();

  SweepFixture() {
    Random rnd = new Random(42);
    int[] batchSizes = {2, 4, 8, 16, 32};
    for (int bs : batchSizes) {
      for (String norm : List.of("batch", "group", "layer", "instance")) {
        add(rnd, norm, norm.equals("group") ? 8 : null, bs, bs == 2 && !norm.equals("batch")
            ? 1 : 3);
      }
    }
    for (int g : new int[] {1, 2, 4, 16}) {
      add(rnd, "group", g, 32, 3);
    }
    add(rnd, "none", null, 32, 3);
    // BN at batch 2: seed 2 failed before any epoch, seed 3 diverged (with an accuracy!).
    replace("batch-bs2-s2", "FAILED", null, FAILED_ERROR);
    replace("batch-bs2-s3", "DIVERGED", 0.1, DIVERGED_ERROR);
    replace("group-g4-bs32-s3", "FAILED", null, FAILED_ERROR);
  }

  private void add(Random rnd, String norm, Integer groups, int bs, int seeds) {
    double log2 = Math.log(bs) / Math.log(2);
    double base = switch (norm) {
      case "batch" -> 0.93 - 0.03 * (5 - log2);
      case "group" -> 0.91 - 0.002 * Math.abs(3 - Math.log(groups) / Math.log(2));
      case "layer" -> 0.89;
      case "instance" -> 0.88;
      default -> 0.85;
    };
    for (int s = 1; s <= seeds; s++) {
      String id = norm + (groups == null ? "" : "-g" + groups) + "-bs" + bs + "-s" + s;
      trials.add(new Trial(id, norm, groups, bs, s, "COMPLETE",
          base + 0.01 * rnd.nextGaussian(), null, 100.0 * bs / (bs + 4) + rnd.nextDouble()));
    }
  }

  private void replace(String id, String status, Double acc, String error) {
    for (int i = 0; i < trials.size(); i++) {
      Trial t = trials.get(i);
      if (t.trialId().equals(id)) {
        trials.set(i, new Trial(id, t.norm(), t.groups(), t.batchSize(), t.seed(), status, acc,
            error, t.imagesPerS()));
        return;
      }
    }
    throw new IllegalArgumentException(id);
  }

  /** Writes {@code dir/trials} and {@code dir/epochs} (and spec.json) for sweep {@code sweepId}. */
  void write(SparkSession spark, String dir, String sweepId) throws java.io.IOException {
    List<Row> trialRows = new ArrayList<>();
    List<Row> epochRows = new ArrayList<>();
    Timestamp start = Timestamp.valueOf("2026-11-02 10:00:00");
    Timestamp end = Timestamp.valueOf("2026-11-02 10:05:00");
    for (Trial t : trials) {
      boolean ran = t.testAccuracy() != null;
      trialRows.add(RowFactory.create("fixture", sweepId, t.trialId(), t.norm(), t.groups(),
          t.batchSize(), 0.1, EPOCH_COUNT, t.seed(), "fashion-mnist", "small-cnn", t.status(),
          t.error(), t.testAccuracy(), ran ? 0.3 : null, t.testAccuracy(), ran ? 0.25 : null,
          ran ? 60000.0 * EPOCH_COUNT / t.imagesPerS() : null, ran ? t.imagesPerS() : null,
          12345L, start, end, 1, "0", "localhost", "cpu", "0.1.0-SNAPSHOT", "abc1234",
          "1.0.0-M2.1", "nd4j-native", "4.1.3", "17", "Linux", "amd64"));
      if (!ran) {
        continue;
      }
      for (int e = 1; e <= EPOCH_COUNT; e++) {
        double acc = t.testAccuracy() - 0.05 * (EPOCH_COUNT - e);
        epochRows.add(RowFactory.create(sweepId, t.trialId(), e, 1.0 / e, 1.1 / e, acc, 20.0,
            t.imagesPerS()));
      }
    }
    spark.createDataFrame(trialRows, TRIALS).write().parquet(dir + "/trials");
    spark.createDataFrame(epochRows, EPOCHS).write().parquet(dir + "/epochs");
    java.nio.file.Files.writeString(java.nio.file.Path.of(dir, "spec.json"), "{}");
  }

  static SparkSession spark() {
    return SparkSession.builder().master("local[2]").appName("report-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
  }

  private static StructField f(String name, DataType type) {
    return DataTypes.createStructField(name, type, true);
  }
}
