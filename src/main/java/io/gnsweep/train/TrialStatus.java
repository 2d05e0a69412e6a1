package io.gnsweep.train;

/** How a trial ended. */
public enum TrialStatus {
    /** All epochs trained and evaluated. */
    COMPLETE,
    /** A loss became NaN or infinite: training stopped, the epochs before it are kept. */
    DIVERGED,
    /** An exception ended the trial; its message is kept. */
    FAILED
}
