package io.gnsweep.report;

import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Settings besides norm, groups and batch size appear in the configuration labels where, and only where, they
 * vary across the compared trials; a table written before the protocol columns existed reads as Adam, no decay.
 */
class VariantLabelTest {
  @TempDir static Path tmp;
  static SparkSession spark;
  static String adamDir;
  static String sgdDir;

  @BeforeAll
  static void write() throws Exception {
    spark = SweepFixture.spark();
    adamDir = tmp.resolve("adam").toString();
    sgdDir = tmp.resolve("sgd").toString();
    new SweepFixture().write(spark, adamDir, "sweep-a");
    // the same trials again as an SGD sweep with weight decay, in the newer schema
    spark.read().parquet(adamDir + "/trials").withColumn("sweep_id", lit("sweep-b"))
        .withColumn("optimizer", lit("sgd")).withColumn("weight_decay", lit(1e-4))
        .withColumn("lr_schedule", lit("constant")).write().parquet(sgdDir + "/trials");
    spark.read().parquet(adamDir + "/epochs").withColumn("sweep_id", lit("sweep-b"))
        .write().parquet(sgdDir + "/epochs");
    Files.writeString(Path.of(sgdDir, "spec.json"), "{}");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Set<String> labels(List<Cell> cells) {
    Set<String> out = new TreeSet<>();
    cells.forEach(c -> out.add(c.label()));
    return out;
  }

  @Test
  void oneSweepAloneHasPlainLabels() throws Exception {
    List<Cell> cells = ResultTables.read(spark, List.of(adamDir)).cells();
    assertTrue(labels(cells).contains("GroupNorm G=8"), labels(cells).toString());
    assertTrue(cells.stream().allMatch(c -> c.variant().isEmpty()));
  }

  @Test
  void twoProtocolsAreToldApartByWhatVaries() throws Exception {
    ResultTables t = ResultTables.read(spark, List.of(adamDir, sgdDir));
    List<Cell> cells = t.cells();
    Set<String> l = labels(cells);
    assertTrue(l.contains("GroupNorm G=8, optimizer=adam, wd=0.0"), l.toString());
    assertTrue(l.contains("GroupNorm G=8, optimizer=sgd, wd=1.0E-4"), l.toString());
    assertTrue(l.contains("BatchNorm, optimizer=sgd, wd=1.0E-4"), l.toString());
    assertTrue(l.stream().noneMatch(s -> s.contains("schedule")), "lr_schedule is the same everywhere: " + l);
    List<Cell> alone = ResultTables.read(spark, List.of(adamDir)).cells();
    assertEquals(2 * alone.size(), cells.size(), "every cell once per protocol");
    // GN and BN are paired within a protocol: twice the rows of one sweep alone
    assertEquals(2 * ReportTables.gap(alone).data().rows().size(), ReportTables.gap(cells).data().rows().size());
    assertTrue(t.trials().stream().anyMatch(r -> r.variant().equals("optimizer=sgd, wd=1.0E-4")));
    assertTrue(t.epochCurves().stream().anyMatch(p -> p.variant().equals("optimizer=adam, wd=0.0")));
  }
}
