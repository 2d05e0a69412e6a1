package io.gnsweep.config;

import io.gnsweep.runtime.Provenance;
import java.io.PrintStream;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Parses every gnsweep command's arguments the same way, with picocli: {@code --name VALUE} and
 * {@code --name=VALUE} for each option, {@code -h}/{@code --help} and {@code -V}/{@code --version} on each
 * command, and bad input as one {@link UsageException} (exit status 2) that names the argument: an unknown
 * option, an option without its value (or with an empty one) and an option given twice.
 *
 * <p>A command is a class annotated with {@code @Command(mixinStandardHelpOptions = true, versionProvider =
 * CommandLines.Version.class)} whose {@code @Option} and {@code @Parameters} fields picocli fills in.
 */
public final class CommandLines {
    private CommandLines() {}

    /**
     * Fills {@code command}'s fields from {@code args}. Returns false when the command is to run; true when
     * {@code args} asked for {@code --help} (the usage, then {@code helpTail} verbatim, printed to {@code out}) or
     * {@code --version} (printed to {@code out}): the command then ends with exit status 0.
     *
     * @throws UsageException naming what was wrong (an unknown option, with where to find the known ones)
     */
    public static boolean answeredHelp(Object command, String[] args, PrintStream out, Supplier<String> helpTail) {
        return answeredHelp(command, args, out, helpTail, false);
    }

    /**
     * As {@link #answeredHelp(Object, String[], PrintStream, Supplier)}; with {@code stopAtPositional}, every
     * argument from the first positional one on is positional, options included (a front end that hands them on).
     */
    public static boolean answeredHelp(Object command, String[] args, PrintStream out, Supplier<String> helpTail,
            boolean stopAtPositional) {
        CommandLine line = new CommandLine(command);
        line.setStopAtPositional(stopAtPositional);
        // "@file" would otherwise read arguments from a file: a spec path or results folder may start with @
        line.setExpandAtFiles(false);
        String name = line.getCommandName();
        try {
            line.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new UsageException(message(e, name));
        }
        if (line.isUsageHelpRequested()) {
            line.usage(out);
            String tail = helpTail == null ? null : helpTail.get();
            if (tail != null) {
                out.println();
                out.println(tail);
            }
            return true;
        }
        if (line.isVersionHelpRequested()) {
            line.printVersionHelp(out);
            return true;
        }
        for (OptionSpec o : line.getParseResult().matchedOptions()) {
            if (o.type() == String.class && o.getValue() != null && ((String) o.getValue()).isBlank()) {
                throw new UsageException("option " + o.longestName() + " needs a non-empty value");
            }
        }
        return false;
    }

    /** picocli's message for the mistake, in gnsweep's wording (lower case, the argument quoted). */
    private static String message(CommandLine.ParameterException e, String command) {
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            List<String> unmatched = u.getUnmatched();
            String first = unmatched.get(0);
            return (first.startsWith("-") ? "unknown option '" : "unexpected argument '") + first + "' (see " + command
                    + " --help)";
        }
        if (e instanceof CommandLine.OverwrittenOptionException o && o.getOverwritten() instanceof OptionSpec spec) {
            return "option " + spec.longestName() + " given twice";
        }
        if (e instanceof CommandLine.MissingParameterException m && m.getMissing() != null
                && !m.getMissing().isEmpty() && m.getMissing().get(0) instanceof OptionSpec o) {
            String n = o.longestName();
            return "option " + n + " needs a value (" + n + " " + o.paramLabel() + " or " + n + "=" + o.paramLabel() + ")";
        }
        String text = e.getMessage() == null ? e.toString() : e.getMessage();
        return text.isEmpty() ? text : Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }

    /** {@code --version}: gnsweep's version and the commit it was built from ({@link Provenance#versionText}). */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return Provenance.versionText().split("\n");
        }
    }
}
