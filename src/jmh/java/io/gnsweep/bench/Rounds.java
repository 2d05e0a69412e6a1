package io.gnsweep.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The arithmetic of interleaved rounds: the order each round measures its variants in, and medians over rounds. */
final class Rounds {
    private Rounds() {}

    static <T> List<T> rotate(List<T> list, int by) {
        List<T> r = new ArrayList<>(list);
        java.util.Collections.rotate(r, -by);
        return r;
    }

    static double median(List<Double> xs) {
        return median(xs.stream().mapToDouble(Double::doubleValue).toArray());
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** Median over rounds of the per-round ratio a[r] / b[r] (both measured in the same round). */
    static double medianRatio(List<Double> a, List<Double> b) {
        double[] r = new double[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i) / b.get(i);
        }
        return median(r);
    }
}
