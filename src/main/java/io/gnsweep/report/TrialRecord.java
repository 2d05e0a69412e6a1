package io.gnsweep.report;

/**
 * One trial as the report lists it: every trial appears, whatever its status.
 *
 * @param sweepId sweep the trial belongs to
 * @param trialId e.g. {@code group-g8-bs32-s1}
 * @param norm norm kind
 * @param groups group count, or {@code null}
 * @param batchSize images per batch
 * @param seed random seed
 * @param status COMPLETE, DIVERGED or FAILED
 * @param testAccuracy final test accuracy, or {@code null}
 * @param error the error message of a FAILED or DIVERGED trial, or {@code null}
 * @param attempt which attempt produced this row
 * @param trainTimeS training time, s, or {@code null}
 * @param variant the other settings that vary across the compared trials, or ""
 */
public record TrialRecord(
    String sweepId,
    String trialId,
    String norm,
    Integer groups,
    int batchSize,
    Integer seed,
    String status,
    Double testAccuracy,
    String error,
    Integer attempt,
    Double trainTimeS,
    String variant) {}
