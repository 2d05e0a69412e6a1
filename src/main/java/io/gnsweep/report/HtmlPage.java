package io.gnsweep.report;

import java.util.Base64;
import java.util.List;

/**
 * The report as one self-contained HTML page: inline CSS, charts embedded as
 * {@code data:image/png;base64} URIs, no script and no external reference, so it renders
 * offline and can be mailed as a single file.
 */
public final class HtmlPage {

  private static final String CSS = """
      body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;font-size:15px;
      line-height:1.45;color:#222;max-width:1100px;margin:24px auto;padding:0 16px}
      h1{font-size:26px;margin-bottom:4px}h2{font-size:20px;margin-top:36px;
      border-bottom:1px solid #ccc;padding-bottom:4px}
      p.note{color:#555;margin:4px 0 10px}
      table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}
      th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;
      max-width:480px;overflow-wrap:anywhere}
      th{background:#f2f2f2}tr:nth-child(even) td{background:#fafafa}
      td.COMPLETE{color:#1a7f37}td.FAILED,td.DIVERGED{color:#b42318;font-weight:bold}
      figure{margin:12px 0 24px}figcaption{color:#555;font-size:14px}
      img{max-width:100%;height:auto;border:1px solid #eee}
      ul.notes li{color:#b42318}ul.left-out li{color:#555}
      """;

  private HtmlPage() {}

  /**
   * Renders the page.
   *
   * @param title page heading
   * @param sources the results folders read
   * @param notes warnings to show at the top (may be empty)
   * @param sections the page body in order: {@link ChartImage} and {@link Table} items
   */
  public static String render(String title, List<String> sources, List<String> notes,
      List<Object> sections) {
    return render(title, sources, notes, List.of(), sections);
  }

  /**
   * Renders the page.
   *
   * @param title page heading
   * @param sources the results folders read
   * @param notes warnings to show at the top (may be empty)
   * @param leftOut what the page leaves out and why, one line each, shown under the notes
   * @param sections the page body in order: {@link ChartImage} and {@link Table} items
   */
  public static String render(String title, List<String> sources, List<String> notes,
      List<String> leftOut, List<Object> sections) {
    StringBuilder sb = new StringBuilder(1 << 16);
    sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
        .append(esc(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n")
        .append("</head>\n<body>\n<h1>").append(esc(title)).append("</h1>\n<p class=\"note\">")
        .append("Results read from: ");
    for (int i = 0; i < sources.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append("<code>").append(esc(sources.get(i)))
          .append("</code>");
    }
    sb.append(". Test error = 100 × (1 − final-epoch test accuracy). Means and sample std "
        + "(n − 1) over seeds use COMPLETE trials only.</p>\n");
    if (!notes.isEmpty()) {
      sb.append("<ul class=\"notes\">\n");
      notes.forEach(n -> sb.append("<li>").append(esc(n)).append("</li>\n"));
      sb.append("</ul>\n");
    }
    if (!leftOut.isEmpty()) {
      sb.append("<p class=\"note\">Left out of this page:</p>\n<ul class=\"left-out\">\n");
      leftOut.forEach(l -> sb.append("<li>").append(esc(l)).append("</li>\n"));
      sb.append("</ul>\n");
    }
    for (Object s : sections) {
      if (s instanceof ChartImage c) {
        chart(sb, c);
      } else if (s instanceof Table t) {
        table(sb, t);
      } else {
        throw new IllegalArgumentException("not a section: " + s);
      }
    }
    return sb.append("</body>\n</html>\n").toString();
  }

  private static void chart(StringBuilder sb, ChartImage c) {
    sb.append("<h2>").append(esc(c.title())).append("</h2>\n<figure>\n<img src=\"data:image/png;")
        .append("base64,").append(Base64.getEncoder().encodeToString(c.png()))
        .append("\" width=\"").append(Charts.WIDTH).append("\" height=\"").append(Charts.HEIGHT)
        .append("\" alt=\"").append(esc(c.title())).append("\">\n<figcaption>")
        .append(esc(c.caption())).append(" (").append(esc(c.fileName()))
        .append(")</figcaption>\n</figure>\n");
  }

  private static void table(StringBuilder sb, Table t) {
    sb.append("<h2>").append(esc(t.title())).append("</h2>\n");
    if (!t.note().isEmpty()) {
      sb.append("<p class=\"note\">").append(esc(t.note())).append("</p>\n");
    }
    if (t.rows().isEmpty()) {
      return;
    }
    int status = t.header().indexOf("Status");
    sb.append("<table>\n<thead><tr>");
    t.header().forEach(h -> sb.append("<th>").append(esc(h)).append("</th>"));
    sb.append("</tr></thead>\n<tbody>\n");
    for (List<String> row : t.rows()) {
      sb.append("<tr>");
      for (int i = 0; i < row.size(); i++) {
        sb.append(i == status ? "<td class=\"" + esc(row.get(i)) + "\">" : "<td>")
            .append(esc(row.get(i))).append("</td>");
      }
      sb.append("</tr>\n");
    }
    sb.append("</tbody>\n</table>\n");
  }

  /** Escapes text for HTML element content and attribute values. */
  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;").replace("'", "&#39;");
  }
}
