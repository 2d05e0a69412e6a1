package io.gnsweep.config;

/** Bad input from the user: reported as one message, exit status 2, before any work is done. */
public class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The exit status for bad input. */
    public static final int EXIT = 2;
}
