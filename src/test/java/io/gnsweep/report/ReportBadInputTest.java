package io.gnsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input: exit status 2, one message naming the problem, and nothing written anywhere. */
class ReportBadInputTest {

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

  @Test
  void missingFolder() throws IOException {
    Path missing = tmp.resolve("no-such-results");
    Path out = tmp.resolve("out-missing");
    String err = runExpecting2(missing.toString(), "--out", out.toString());
    assertTrue(err.contains("no such results folder") && err.contains(missing.toString()), err);
    assertTrue(Files.notExists(missing) && Files.notExists(out));
  }

  @Test
  void folderWithoutTrialsTable() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("no-trials"));
    Files.createDirectories(dir.resolve("epochs"));
    List<Path> before = tree(tmp);
    String err = runExpecting2(dir.toString());
    assertTrue(err.contains("no trials table") && err.contains(dir.toString()), err);
    assertEquals(before, tree(tmp), "nothing written");
  }

  @Test
  void trialsFolderThatIsNotParquet() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("empty-trials").resolve("trials"))
        .getParent();
    List<Path> before = tree(tmp);
    String err = runExpecting2(dir.toString());
    assertTrue(err.contains("cannot read the trials table"), err);
    assertEquals(before, tree(tmp), "nothing written");
  }

  @Test
  void secondFolderMissingStopsBeforeWritingTheFirstReport() throws IOException {
    Path good = tmp.resolve("good");
    new SweepFixture().write(spark, good.toString(), "sweep-good");
    List<Path> before = tree(tmp);
    String err = runExpecting2(good.toString(), tmp.resolve("gone").toString());
    assertTrue(err.contains("gone"), err);
    assertEquals(before, tree(tmp), "nothing written");
    assertTrue(Files.notExists(good.resolve("report")));
  }

  @Test
  void unknownOption() throws IOException {
    List<Path> before = tree(tmp);
    String err = runExpecting2(tmp.toString(), "--colour", "red");
    assertTrue(err.contains("unknown option '--colour'"), err);
    assertEquals(before, tree(tmp));
  }

  @Test
  void noResultsDir() {
    assertTrue(runExpecting2("--out", "x").contains("no RESULTS_DIR"));
  }

  private static String runExpecting2(String... args) {
    PrintStream old = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = ReportJob.run(args);
    } finally {
      System.setErr(old);
    }
    String err = buf.toString(StandardCharsets.UTF_8);
    assertEquals(2, rc, "exit status; stderr: " + err);
    assertTrue(err.startsWith("report: "), err);
    return err;
  }

  private static List<Path> tree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.sorted().toList();
    }
  }
}
