package io.gnsweep.layer;

/**
 * Independent double-precision GroupNorm, written as the paper's definition with plain loops (allowed in
 * tests, not in the layer), two-pass variance.
 */
final class GroupNormReference {
    private GroupNormReference() {}

    /** x is [n][c][s] flattened in C order; returns y in the same layout. */
    static double[] forward(double[] x, int n, int c, int s, int g, double[] gamma, double[] beta, double eps) {
        double[] y = new double[x.length];
        int perGroup = c / g;
        for (int i = 0; i < n; i++) {
            for (int grp = 0; grp < g; grp++) {
                int from = (i * c + grp * perGroup) * s;
                int count = perGroup * s;
                double mean = 0;
                for (int k = 0; k < count; k++) {
                    mean += x[from + k];
                }
                mean /= count;
                double var = 0;
                for (int k = 0; k < count; k++) {
                    double dev = x[from + k] - mean;
                    var += dev * dev;
                }
                var /= count;
                double inv = 1.0 / Math.sqrt(var + eps);
                for (int k = 0; k < count; k++) {
                    int ch = grp * perGroup + k / s;
                    y[from + k] = gamma[ch] * (x[from + k] - mean) * inv + beta[ch];
                }
            }
        }
        return y;
    }
}
