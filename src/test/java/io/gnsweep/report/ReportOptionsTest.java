package io.gnsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line, without Spark. */
class ReportOptionsTest {

  @Test
  void defaults() throws BadInputException {
    ReportOptions o = ReportOptions.parse(new String[] {"/r/a", "hdfs://nn/r/b"});
    assertEquals(List.of("/r/a", "hdfs://nn/r/b"), o.resultsDirs());
    assertNull(o.master());
    assertEquals("/r/a/report", o.reportDir());
    assertEquals("/r/a/report", ReportOptions.parse(new String[] {"/r/a/"}).reportDir());
  }

  @Test
  void options() throws BadInputException {
    ReportOptions o = ReportOptions.parse(
        new String[] {"--out", "/o", "/r/a", "--master=local[2]"});
    assertEquals("/o", o.reportDir());
    assertEquals("local[2]", o.master());
    assertEquals(List.of("/r/a"), o.resultsDirs());
  }

  @Test
  void bothSpellingsOfEachOption() throws BadInputException {
    ReportOptions spaced = ReportOptions.parse(
        new String[] {"/r/a", "--out", "/o", "--master", "spark://h:7077", "/r/b"});
    ReportOptions joined = ReportOptions.parse(
        new String[] {"/r/a", "--out=/o", "--master=spark://h:7077", "/r/b"});
    assertEquals(new ReportOptions(List.of("/r/a", "/r/b"), "/o", "spark://h:7077"), spaced);
    assertEquals(spaced, joined);
  }

  @Test
  void rejects() {
    for (String[] bad : new String[][] {{}, {"/r", "--out"}, {"/r", "--out", "--master", "x"},
        {"/r", "-x"}, {"/r", "--out", "a", "--out", "b"}, {"/r", "--out="}, {"/r", "--master"},
        {"/r", "--master=local[1]", "--master", "local[2]"}}) {
      assertThrows(BadInputException.class, () -> ReportOptions.parse(bad), String.join(" ", bad));
    }
  }
}
