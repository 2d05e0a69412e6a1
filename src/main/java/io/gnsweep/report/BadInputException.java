package io.gnsweep.report;

/** Input the report cannot use (an unknown option, a missing folder or table): exit status 2. */
public final class BadInputException extends Exception {
  private static final long serialVersionUID = 1L;

  /** @param message one sentence naming what was wrong, shown to the user as is */
  public BadInputException(String message) {
    super(message);
  }
}
