package io.gnsweep.report;

/**
 * One rendered chart.
 *
 * @param fileName PNG file name inside the report folder
 * @param title heading shown above it on the page (also the chart's own title)
 * @param caption one sentence on how to read it
 * @param png the PNG bytes
 */
public record ChartImage(String fileName, String title, String caption, byte[] png) {}
