package io.gnsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chart along an axis with one point on it is not drawn, and the page says which and why, one line each:
 * one batch size (the test-error and throughput charts), one group count (the group chart; LayerNorm counts as
 * G = 1). The full fixture, with several of each, draws them all (ReportJobTest).
 */
class ReportLeftOutTest {
  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SweepFixture.spark();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  record Report(Path dir, String html, String err) {}

  /** Writes the fixture's trials that {@code keep} accepts and runs the report on them. */
  static Report report(String name, Predicate<SweepFixture.Trial> keep) throws Exception {
    SweepFixture fixture = new SweepFixture();
    fixture.trials.removeIf(keep.negate());
    Path results = tmp.resolve(name);
    fixture.write(spark, results.toString(), "sweep-" + name);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = ReportJob.run(new String[] {results.toString()},
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
    Path dir = results.resolve("report");
    return new Report(dir, Files.readString(dir.resolve("index.html")),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void oneBatchSizeAndOneGroupCountDrawNoChartAlongEither() throws Exception {
    Report r = report("one-of-each", t -> t.batchSize() == 32
        && (t.norm().equals("batch") || t.norm().equals("group") && t.groups() == 8));
    for (String png : new String[] {"error_vs_batch_size.png", "throughput.png", "error_vs_groups.png"}) {
      assertFalse(Files.exists(r.dir().resolve(png)), png + " drawn");
    }
    assertTrue(Files.exists(r.dir().resolve("test_error_per_epoch_bs32.png")), "the epoch curves stay");
    String batch = "Test error vs batch size: not drawn, every COMPLETE trial has batch size 32;";
    String throughput = "Training throughput vs batch size: not drawn, every COMPLETE trial has batch size 32;";
    String groups = "Test error vs number of groups: not drawn, the COMPLETE trials at batch size 32 hold one"
        + " group count, G = 8 ";
    assertTrue(r.html().contains("Left out of this page:"), r.html());
    for (String line : new String[] {batch, throughput, groups}) {
      assertEquals(1, count(r.html(), "<li>" + line), line);
      assertTrue(r.err().contains("report: left out: " + line), r.err());
    }
    assertEquals(3, count(r.html(), "not drawn,"));
    assertTrue(r.html().contains("Test error by group count at batch size 32"), "the group table stays");
  }

  @Test
  void layerNormCountsAsGOne() throws Exception {
    Report r = report("g1-and-layer", t -> t.norm().equals("layer")
        || t.norm().equals("group") && t.groups() == 1);
    assertFalse(Files.exists(r.dir().resolve("error_vs_groups.png")), "G = 1 twice is one group count");
    assertTrue(r.html().contains("<li>Test error vs number of groups: not drawn, the COMPLETE trials at batch"
        + " size 32 hold one group count, G = 1 "), r.html());
    assertTrue(Files.exists(r.dir().resolve("error_vs_batch_size.png")), "LayerNorm ran at 5 batch sizes");
    assertTrue(Files.exists(r.dir().resolve("throughput.png")));
    assertFalse(r.html().contains("vs batch size: not drawn"), r.html());
  }

  private static int count(String s, String sub) {
    int n = 0;
    for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
      n++;
    }
    return n;
  }
}
