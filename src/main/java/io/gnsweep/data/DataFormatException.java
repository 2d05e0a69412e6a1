package io.gnsweep.data;

import java.io.IOException;

/**
 * A dataset file is missing or does not have the expected format. The message always starts
 * with the file's full location followed by what was wrong, so a failed run can be fixed
 * without a debugger.
 */
public class DataFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final String problem;

    /** {@code file} is the full location (see {@link DataFolder#locate}); {@code problem} says what is wrong. */
    public DataFormatException(String file, String problem) {
        this(file, problem, null);
    }

    /** As {@link #DataFormatException(String, String)}, keeping the low-level cause. */
    public DataFormatException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
        this.problem = problem;
    }

    /** The full location of the offending file. */
    public String file() {
        return file;
    }

    /** What was wrong with it. */
    public String problem() {
        return problem;
    }
}
