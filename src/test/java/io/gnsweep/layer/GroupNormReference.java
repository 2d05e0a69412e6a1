package io.gnsweep.layer;

/**
 * Independent double-precision GroupNorm, written as the paper's definition with plain loops (allowed in
 * tests, not in the layer), two-pass variance; the backward pass as the chain rule through it.
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
                double mean = mean(x, from, count);
                double inv = 1.0 / Math.sqrt(variance(x, from, count, mean) + eps);
                for (int k = 0; k < count; k++) {
                    int ch = grp * perGroup + k / s;
                    y[from + k] = gamma[ch] * (x[from + k] - mean) * inv + beta[ch];
                }
            }
        }
        return y;
    }

    /**
     * The gradients of {@link #forward} for the output gradient dy (x's layout): {dx, dγ, dβ}. Per group, with
     * x̂ = (x − μ)·rstd and g = γ_c·dy: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)); dγ_c = Σ dy·x̂, dβ_c = Σ dy.
     */
    static double[][] backward(double[] x, double[] dy, int n, int c, int s, int g, double[] gamma, double eps) {
        double[] dx = new double[x.length];
        double[] dGamma = new double[c];
        double[] dBeta = new double[c];
        int perGroup = c / g;
        for (int i = 0; i < n; i++) {
            for (int grp = 0; grp < g; grp++) {
                int from = (i * c + grp * perGroup) * s;
                int count = perGroup * s;
                double mean = mean(x, from, count);
                double inv = 1.0 / Math.sqrt(variance(x, from, count, mean) + eps);
                double meanG = 0;
                double meanGXhat = 0;
                for (int k = 0; k < count; k++) {
                    int ch = grp * perGroup + k / s;
                    double xhat = (x[from + k] - mean) * inv;
                    dBeta[ch] += dy[from + k];
                    dGamma[ch] += dy[from + k] * xhat;
                    meanG += gamma[ch] * dy[from + k] / count;
                    meanGXhat += gamma[ch] * dy[from + k] * xhat / count;
                }
                for (int k = 0; k < count; k++) {
                    int ch = grp * perGroup + k / s;
                    double xhat = (x[from + k] - mean) * inv;
                    dx[from + k] = inv * (gamma[ch] * dy[from + k] - meanG - xhat * meanGXhat);
                }
            }
        }
        return new double[][] {dx, dGamma, dBeta};
    }

    private static double mean(double[] x, int from, int count) {
        double sum = 0;
        for (int k = 0; k < count; k++) {
            sum += x[from + k];
        }
        return sum / count;
    }

    private static double variance(double[] x, int from, int count, double mean) {
        double var = 0;
        for (int k = 0; k < count; k++) {
            double dev = x[from + k] - mean;
            var += dev * dev;
        }
        return var / count;
    }
}
