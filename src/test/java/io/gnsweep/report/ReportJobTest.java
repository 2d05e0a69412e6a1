package io.gnsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end: Parquet written here, report run on it, outputs checked against plain Java. */
class ReportJobTest {

  @TempDir static Path tmp;
  static SparkSession spark;
  static SweepFixture fixture;
  static Path results;
  static Path report;
  static String stdout;

  @BeforeAll
  static void writeSweepAndReport() throws IOException {
    spark = SweepFixture.spark();
    fixture = new SweepFixture();
    results = tmp.resolve("results");
    fixture.write(spark, results.toString(), "sweep-a");
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = ReportJob.run(new String[] {results.toString()});
    } finally {
      System.setOut(old);
    }
    stdout = buf.toString(StandardCharsets.UTF_8);
    assertEquals(0, rc, "report exit status");
    report = results.resolve("report");
    // For a look by eye (not a test): -Dgnsweep.report.keep=DIR keeps a copy of the report.
    String keep = System.getProperty("gnsweep.report.keep");
    if (keep != null) {
      Files.createDirectories(Path.of(keep));
      try (Stream<Path> s = Files.list(report)) {
        for (Path p : s.toList()) {
          Files.copy(p, Path.of(keep).resolve(p.getFileName().toString()),
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** Mean, sample std and n of COMPLETE trials per (norm, groups, batch size), in plain Java. */
  static Map<String, double[]> expected(List<SweepFixture.Trial> trials) {
    Map<String, List<Double>> acc = new HashMap<>();
    for (SweepFixture.Trial t : trials) {
      List<Double> list = acc.computeIfAbsent(key(t.norm(), t.groups(), t.batchSize()),
          k -> new ArrayList<>());
      if (t.status().equals("COMPLETE")) {
        list.add(t.testAccuracy());
      }
    }
    Map<String, double[]> out = new HashMap<>();
    acc.forEach((k, v) -> {
      double mean = v.stream().mapToDouble(d -> d).sum() / v.size();
      double ss = v.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum();
      out.put(k, new double[] {v.size(), mean, v.size() > 1 ? Math.sqrt(ss / (v.size() - 1))
          : Double.NaN});
    });
    return out;
  }

  static String key(String norm, Integer groups, int bs) {
    return norm + "|" + (groups == null ? "" : groups) + "|" + bs;
  }

  static List<String[]> csv(Path file) throws IOException {
    return Files.readAllLines(file).stream().map(l -> l.split(",", -1)).toList();
  }

  /** Checks a by_* CSV row by row against the plain-Java aggregation; returns the row count. */
  static int checkCells(Path file, Map<String, double[]> want) throws IOException {
    List<String[]> rows = csv(file);
    assertEquals(List.of("norm", "groups", "batch_size", "n", "mean_test_accuracy",
        "std_test_accuracy"), Arrays.asList(rows.get(0)).subList(0, 6), file + " header");
    for (String[] r : rows.subList(1, rows.size())) {
      String k = key(r[0], r[1].isEmpty() ? null : Integer.valueOf(r[1]), Integer.parseInt(r[2]));
      double[] w = want.get(k);
      assertNotNull(w, "unexpected cell " + k);
      assertEquals((long) w[0], Long.parseLong(r[3]), "n of " + k);
      assertEquals(w[1], Double.parseDouble(r[4]), 1e-9, "mean of " + k);
      if (w[0] == 1) {
        assertEquals("", r[5], "std of n=1 cell " + k + " must be empty");
      } else {
        assertEquals(w[2], Double.parseDouble(r[5]), 1e-9, "std of " + k);
      }
    }
    return rows.size() - 1;
  }

  @Test
  void byBatchSizeMatchesPlainJavaAggregation() throws IOException {
    Map<String, double[]> want = expected(fixture.trials);
    assertEquals(want.size(), checkCells(report.resolve("by_batch_size.csv"), want));
    // the fixture's special cells, as the report wrote them
    List<String> lines = Files.readAllLines(report.resolve("by_batch_size.csv"));
    String bn2 = lines.stream().filter(l -> l.startsWith("batch,,2,")).findFirst().orElseThrow();
    assertTrue(bn2.startsWith("batch,,2,1,"), "1 FAILED + 1 DIVERGED of 3 excluded: " + bn2);
    assertTrue(bn2.contains(",,1,1,"), "empty std, n_failed 1, n_diverged 1: " + bn2);
    String gn4 = lines.stream().filter(l -> l.startsWith("group,4,32,")).findFirst().orElseThrow();
    assertTrue(gn4.startsWith("group,4,32,2,"), "1 FAILED of 3 excluded: " + gn4);
  }

  @Test
  void byGroupsIsAtTheMostCommonBatchSize() throws IOException {
    Map<String, double[]> want = new HashMap<>(expected(fixture.trials));
    want.keySet().removeIf(k -> !k.endsWith("|32") || k.startsWith("batch") || k.startsWith("none"));
    assertEquals(want.size(), checkCells(report.resolve("by_groups.csv"), want));
    assertEquals(7, want.size()); // GN G=1,2,4,8,16 + LN + IN
  }

  @Test
  void failedAndDivergedTrialsAreListedWithTheirError() throws IOException {
    String excluded = Files.readString(report.resolve("excluded_trials.csv"));
    assertTrue(excluded.contains("batch-bs2-s2") && excluded.contains(SweepFixture.FAILED_ERROR));
    assertTrue(excluded.contains("batch-bs2-s3") && excluded.contains(SweepFixture.DIVERGED_ERROR));
    assertTrue(excluded.contains("group-g4-bs32-s3"));
    assertEquals(4, excluded.lines().count()); // header + 3
    assertEquals(fixture.trials.size() + 1, Files.readAllLines(report.resolve("trials.csv")).size());
    String html = Files.readString(report.resolve("index.html"));
    assertTrue(html.contains(SweepFixture.DIVERGED_ERROR) && html.contains("DIVERGED"));
  }

  @Test
  void indexHtmlIsSelfContainedAndWellFormed() throws IOException {
    String html = Files.readString(report.resolve("index.html"));
    assertEquals(1, count(html, "<html"));
    assertEquals(1, count(html, "</html>"));
    assertEquals(count(html, "<table"), count(html, "</table>"));
    assertTrue(count(html, "<table") >= 6, "tables on the page");
    for (String bad : List.of("http://", "https://", "//cdn", "<script", "<link")) {
      assertFalse(html.contains(bad), "page must not contain " + bad);
    }
    Matcher img = Pattern.compile("<img\\b[^>]*>").matcher(html);
    int images = 0;
    while (img.find()) {
      Matcher src = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"")
          .matcher(img.group());
      assertTrue(src.find(), "img without a data:image/png src");
      checkPng(Base64.getDecoder().decode(src.group(1)), "embedded image " + images);
      images++;
    }
    // batch-size chart, group chart, 2 epoch charts per batch size (5), throughput
    assertEquals(1 + 1 + 2 * 5 + 1, images);
  }

  @Test
  void pngFilesAreImagesOfTheStatedSize() throws IOException {
    List<Path> pngs;
    try (Stream<Path> s = Files.list(report)) {
      pngs = s.filter(p -> p.toString().endsWith(".png")).toList();
    }
    assertEquals(13, pngs.size(), pngs.toString());
    for (String name : List.of("error_vs_batch_size.png", "error_vs_groups.png",
        "throughput.png", "test_error_per_epoch_bs32.png", "train_loss_per_epoch_bs2.png")) {
      assertTrue(pngs.contains(report.resolve(name)), name);
    }
    for (Path p : pngs) {
      checkPng(Files.readAllBytes(p), p.toString());
    }
  }

  @Test
  void mainTableIsPrintedAndMarkdownWritten() throws IOException {
    assertTrue(stdout.contains("Test error by batch size"), stdout);
    assertTrue(stdout.contains("| GroupNorm G=8 | 8 | 32 | 3 |"), stdout);
    assertEquals(stdout, Files.readString(report.resolve("by_batch_size.md")));
    assertTrue(Files.exists(report.resolve("by_groups.md")));
    assertTrue(Files.exists(report.resolve("gn_bn_gap.csv")));
  }

  @Test
  void gapIsGnMinusBnInErrorPoints() throws IOException {
    Map<String, double[]> want = expected(fixture.trials);
    List<String[]> rows = csv(report.resolve("gn_bn_gap.csv")).stream().skip(1).toList();
    // one row per GroupNorm cell that has a BatchNorm cell at its batch size: G=8 at 2..32, G=1,2,4,16 at 32
    List<String> cells = want.keySet().stream().filter(k -> k.startsWith("group|")
        && want.containsKey(key("batch", null, Integer.parseInt(k.substring(k.lastIndexOf('|') + 1)))))
        .sorted().toList();
    assertEquals(9, cells.size(), cells.toString());
    assertEquals(cells, rows.stream().map(r -> key("group", Integer.valueOf(r[1]), Integer.parseInt(r[0])))
        .sorted().toList());
    for (String[] r : rows) {
      int bs = Integer.parseInt(r[0]);
      double[] gn = want.get(key("group", Integer.valueOf(r[1]), bs));
      double[] bn = want.get(key("batch", null, bs));
      assertEquals(100 * (bn[1] - gn[1]), Double.parseDouble(r[6]), 1e-9, "gap at " + bs);
      if (bn[0] > 1 && gn[0] > 1) {
        assertEquals(100 * Math.hypot(gn[2], bn[2]), Double.parseDouble(r[7]), 1e-9);
      } else {
        assertEquals("", r[7]);
      }
    }
  }

  @Test
  void twoSweepsAreReadTogether() throws IOException {
    Path second = tmp.resolve("results-b");
    fixture.write(spark, second.toString(), "sweep-b");
    Path out = tmp.resolve("combined");
    assertEquals(0, ReportJob.run(new String[] {results.toString(), second.toString(),
        "--out", out.toString()}));
    List<SweepFixture.Trial> both = new ArrayList<>(fixture.trials);
    both.addAll(fixture.trials);
    assertEquals(expected(both).size(), checkCells(out.resolve("by_batch_size.csv"),
        expected(both)));
    assertTrue(Files.readString(out.resolve("sweeps.csv")).contains("sweep-b"));
  }

  private static void checkPng(byte[] bytes, String what) throws IOException {
    assertEquals(0x89, bytes[0] & 0xff, what + " is not a PNG");
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
    assertNotNull(img, what);
    assertEquals(Charts.WIDTH, img.getWidth(), what);
    assertEquals(Charts.HEIGHT, img.getHeight(), what);
  }

  private static int count(String s, String sub) {
    int n = 0;
    for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
      n++;
    }
    return n;
  }
}
