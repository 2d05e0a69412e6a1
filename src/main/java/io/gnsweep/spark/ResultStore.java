package io.gnsweep.spark;

import static io.gnsweep.tables.ResultColumns.*;

import io.gnsweep.tables.ResultColumns;
import io.gnsweep.runtime.Provenance;
import io.gnsweep.train.EpochMetrics;
import io.gnsweep.optim.LrSchedule;
import io.gnsweep.train.Protocol;
import io.gnsweep.train.TrialResult;
import io.gnsweep.train.TrialSpec;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;

/**
 * The result tables of one output folder: {@code trials/<trial_id>.parquet} (one row) and
 * {@code epochs/<trial_id>.parquet} (one row per epoch), plus {@code spec.json}.
 *
 * <p>Each trial's files are written by the task that ran it, the moment it ends, to a hidden temporary name
 * ({@code _tmp-...}, which Spark, DuckDB globs and pandas ignore) and then renamed into place: epochs first,
 * then the trial row, so a trial row always has its epochs. One file name per trial id means the tables can
 * never hold two rows for a trial, whatever Spark re-runs; a trial counts as finished when its trial file
 * exists.
 *
 * <p>A re-run (a retried task, {@code --rerun-failed}) replaces a file in one step, so that a reader never
 * finds the trial without its file (see {@link #moveIntoPlace}; on object stores, where a rename is a copy,
 * the files are written straight to their final names instead); readers of trial rows here read each file
 * from one open stream, so a replacement under way cannot mix two versions.
 */
final class ResultStore implements Serializable {
    private static final long serialVersionUID = 1L;
    static final String TRIALS = "trials";
    static final String EPOCHS = "epochs";
    static final String SPEC = "spec.json";

    private final String output;
    private transient FileSystem fs;

    /** {@code output}: a fully qualified URI (see {@link #qualify}). */
    ResultStore(String output) {
        this.output = output;
    }

    /** Turns a local or relative path into an absolute URI that every executor resolves the same way. */
    static String qualify(String output) {
        try {
            Path p = new Path(output);
            FileSystem fs = p.getFileSystem(HadoopConf.get());
            return fs.makeQualified(p).toString();
        } catch (IOException e) {
            throw new UncheckedIOException("output " + output + ": " + e.getMessage(), e);
        }
    }

    String output() {
        return output;
    }

    private FileSystem fs() throws IOException {
        if (fs == null) {
            fs = FileSystem.get(URI.create(output), HadoopConf.get());
            // no .crc side files beside the tables on the local file system
            fs.setWriteChecksum(false);
        }
        return fs;
    }

    Path trialFile(String trialId) {
        return new Path(output + "/" + TRIALS + "/" + trialId + ".parquet");
    }

    Path epochsFile(String trialId) {
        return new Path(output + "/" + EPOCHS + "/" + trialId + ".parquet");
    }

    String trialsTable() {
        return output + "/" + TRIALS;
    }

    String epochsTable() {
        return output + "/" + EPOCHS;
    }

    /** Whether the trial has a result row. */
    boolean has(String trialId) throws IOException {
        return fs().exists(trialFile(trialId));
    }

    /** The trial's row, or null if its file holds none. */
    TrialRow readTrialRow(String trialId) throws IOException {
        java.util.List<TrialRow> rows = readTrialRows(trialFile(trialId), fs().getConf());
        return rows.isEmpty() ? null : rows.get(0);
    }

    /** Ids of the trials with a result row. */
    Set<String> finished() throws IOException {
        Set<String> ids = new TreeSet<>();
        Path dir = new Path(trialsTable());
        if (!fs().exists(dir)) {
            return ids;
        }
        for (FileStatus s : fs().listStatus(dir)) {
            String n = s.getPath().getName();
            if (n.endsWith(".parquet") && !n.startsWith("_") && !n.startsWith(".")) {
                ids.add(n.substring(0, n.length() - ".parquet".length()));
            }
        }
        return ids;
    }

    /** The columns of a trial row that the end-of-sweep summary and {@code --rerun-failed} need. */
    /** A trial row's key columns; runId is null in rows written before the column existed. */
    record TrialRow(String sweepId, String trialId, String norm, Integer groups, int batchSize, String status,
                    String error, Double testAccuracy, String runId) {}

    /** Threads that read trial rows at once: one-row files on an object store cost a round trip each. */
    static final int READ_THREADS = 16;

    /**
     * Every trial row in the folder, read here with parquet-hadoop (no Spark job: a first Spark SQL query in
     * a JVM costs 5-7 s of planning and code generation, more than reading thousands of one-row files), by up
     * to {@link #READ_THREADS} threads at once, in trial-id order. A file that cannot be read (one being
     * replaced by a re-run at this moment, or damaged) is reported on {@code warn} and skipped, so that it
     * cannot cost the summary of every other trial.
     */
    java.util.List<TrialRow> readTrialRows(java.io.PrintStream warn) throws IOException {
        java.util.List<String> ids = new java.util.ArrayList<>(finished());
        Configuration conf = fs().getConf();
        java.util.List<java.util.concurrent.Future<java.util.List<TrialRow>>> reads = new java.util.ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.max(1, Math.min(READ_THREADS, ids.size())), r -> {
                    Thread t = new Thread(r, "gnsweep-read-trials");
                    t.setDaemon(true);
                    return t;
                });
        try {
            for (String id : ids) {
                reads.add(pool.submit(() -> readTrialRows(trialFile(id), new Configuration(conf))));
            }
            java.util.List<TrialRow> rows = new java.util.ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                try {
                    rows.addAll(reads.get(i).get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Error err) {
                        throw err; // out of memory, a missing class: not a damaged file
                    }
                    warn.println("warning: skipped unreadable trial row " + trialFile(ids.get(i)) + ": "
                            + e.getCause().getMessage());
                }
            }
            return rows;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading the trial rows");
        } finally {
            pool.shutdownNow();
        }
    }

    private static java.util.List<TrialRow> readTrialRows(Path file, Configuration conf) throws IOException {
        java.util.List<TrialRow> rows = new java.util.ArrayList<>(1);
        // The whole (one-row) file from one open stream: a reader that took the length from a status call and
        // then opened the path could pair the length of one version with the bytes of the next.
        byte[] bytes = readWhole(file, conf);
        try (ParquetReader<Group> reader = new GroupReader(new BytesInputFile(bytes)).withConf(conf).build()) {
            for (Group g = reader.read(); g != null; g = reader.read()) {
                rows.add(new TrialRow(g.getString(SWEEP_ID, 0), g.getString(TRIAL_ID, 0),
                        g.getString(NORM, 0), isSet(g, GROUPS) ? g.getInteger(GROUPS, 0) : null,
                        g.getInteger(BATCH_SIZE, 0), g.getString(STATUS, 0),
                        isSet(g, ERROR) ? g.getString(ERROR, 0) : null,
                        isSet(g, TEST_ACCURACY) ? g.getDouble(TEST_ACCURACY, 0) : null,
                        isSet(g, RUN_ID) ? g.getString(RUN_ID, 0) : null));
            }
        }
        return rows;
    }

    /**
     * S3A's exception when an object changed between the metadata request and the read (it pins the read to the
     * ETag it saw, so that two versions are never mixed); hadoop-aws is the cluster's, not on gnsweep's class path.
     */
    private static final String S3A_CHANGED = "org.apache.hadoop.fs.s3a.RemoteFileChangedException";

    /**
     * The file's bytes, from one open stream. On S3 a re-run replacing the object at that moment makes S3A refuse
     * the read rather than mix versions; the new object is already whole, so it is read again.
     */
    private static byte[] readWhole(Path file, Configuration conf) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (FSDataInputStream in = file.getFileSystem(conf).open(file)) {
                return in.readAllBytes();
            } catch (IOException e) {
                if (attempt >= 3 || !e.getClass().getName().equals(S3A_CHANGED)) {
                    throw e;
                }
            }
        }
    }

    /** parquet-hadoop's reader of example Groups, from any InputFile. */
    private static final class GroupReader extends ParquetReader.Builder<Group> {
        GroupReader(InputFile file) {
            super(file);
        }

        @Override
        protected ReadSupport<Group> getReadSupport() {
            return new GroupReadSupport();
        }
    }

    /** A Parquet file held in memory. */
    private record BytesInputFile(byte[] bytes) implements InputFile {
        @Override
        public long getLength() {
            return bytes.length;
        }

        @Override
        public SeekableInputStream newStream() {
            return new DelegatingSeekableInputStream(new SeekableBytes(bytes)) {
                @Override
                public long getPos() {
                    return ((SeekableBytes) getStream()).position();
                }

                @Override
                public void seek(long newPos) {
                    ((SeekableBytes) getStream()).seek(newPos);
                }
            };
        }
    }

    private static final class SeekableBytes extends java.io.ByteArrayInputStream {
        SeekableBytes(byte[] bytes) {
            super(bytes);
        }

        long position() {
            return pos;
        }

        void seek(long to) {
            pos = (int) Math.min(Math.max(0, to), count);
        }
    }

    /** Whether an optional column is in this file's schema and set in this row. */
    private static boolean isSet(Group g, String field) {
        return g.getType().containsField(field) && g.getFieldRepetitionCount(field) > 0;
    }

    /** The spec.json already in the folder, or null. */
    String readSpec() throws IOException {
        Path p = new Path(output + "/" + SPEC);
        if (!fs().exists(p)) {
            return null;
        }
        try (FSDataInputStream in = fs().open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Writes spec.json (atomically, by rename). */
    void writeSpec(String json) throws IOException {
        Path tmp = new Path(output + "/_tmp-" + UUID.randomUUID() + "-" + SPEC);
        try (FSDataOutputStream out = fs().create(tmp, true)) {
            out.write(json.getBytes(StandardCharsets.UTF_8));
        }
        moveIntoPlace(tmp, new Path(output + "/" + SPEC));
    }

    /**
     * Fails unless this folder can be written: creates it (and missing parents), writes and removes a hidden probe
     * file, then removes the folders it created, so a refused or checked output is left as it was. Run on the
     * driver before any work, so that a permission problem is one message and not a FAILED task per trial.
     */
    void checkWritable() throws IOException {
        FileSystem fs = fs();
        Path dir = new Path(output);
        Path firstCreated = null;
        for (Path p = dir; p != null && !fs.exists(p); p = p.getParent()) {
            firstCreated = p;
        }
        try {
            if (!fs.mkdirs(dir)) {
                throw new IOException("could not create " + dir);
            }
            Path probe = new Path(output + "/_gnsweep-write-check-" + UUID.randomUUID());
            fs.create(probe, false).close();
            fs.delete(probe, false);
        } finally {
            if (firstCreated != null) {
                for (Path p = dir; p != null && p.depth() >= firstCreated.depth(); p = p.getParent()) {
                    try {
                        // not recursive: a folder someone else wrote into meanwhile stays
                        if (fs.exists(p) && !fs.delete(p, false)) {
                            break;
                        }
                    } catch (IOException notEmptyOrNotOurs) {
                        break;
                    }
                }
            }
        }
    }

    /** Where a result was produced. */
    record Context(String sweepName, String sweepId, String runId, int attempt, String executorId, String host,
                   Provenance provenance) implements Serializable {}

    /** Makes the trial's result durable: its epochs, then its trial row. Replaces an earlier result. */
    void write(TrialResult r, Context ctx) throws IOException {
        String id = r.spec().trialId();
        Path epochsTmp = staging(EPOCHS, id, epochsFile(id));
        try (ParquetWriter<Group> w = writer(epochsTmp, ResultSchema.EPOCHS)) {
            SimpleGroupFactory f = new SimpleGroupFactory(ResultSchema.EPOCHS);
            for (EpochMetrics m : r.epochs()) {
                w.write(f.newGroup().append(SWEEP_ID, ctx.sweepId()).append(TRIAL_ID, id)
                        .append(EPOCH, m.epoch()).append(TRAIN_LOSS, m.trainLoss())
                        .append(TEST_LOSS, m.testLoss()).append(TEST_ACCURACY, m.testAccuracy())
                        .append(EPOCH_TIME_S, m.epochTimeS()).append(IMAGES_PER_S, m.imagesPerS()));
            }
        }
        if (!epochsTmp.equals(epochsFile(id))) {
            moveIntoPlace(epochsTmp, epochsFile(id));
        }
        Path trialTmp = staging(TRIALS, id, trialFile(id));
        try (ParquetWriter<Group> w = writer(trialTmp, ResultSchema.TRIALS)) {
            w.write(trialRow(r, ctx));
        }
        if (!trialTmp.equals(trialFile(id))) {
            moveIntoPlace(trialTmp, trialFile(id));
        }
    }

    private static Group trialRow(TrialResult r, Context ctx) {
        TrialSpec s = r.spec();
        Group g = new SimpleGroupFactory(ResultSchema.TRIALS).newGroup()
                .append(SWEEP_NAME, ctx.sweepName()).append(SWEEP_ID, ctx.sweepId())
                .append(TRIAL_ID, s.trialId()).append(NORM, s.norm().id());
        if (s.groups() != null) {
            g.append(GROUPS, s.groups());
        }
        g.append(BATCH_SIZE, s.batchSize()).append(LR, s.lr()).append(ResultColumns.EPOCHS, s.epochs())
                .append(SEED, (int) s.seed()).append(DATASET, s.dataset()).append(MODEL, s.model().id())
                .append(MODEL_WIDTH, s.width());
        Protocol p = s.protocol();
        if (s.model().isResidual()) {
            g.append(MODEL_DEPTH, s.modelDepth()).append(ZERO_INIT_LAST_NORM, s.effectiveZeroInitLastNorm());
        }
        g.append(OPTIMIZER, p.optimizer().id());
        if (p.optimizer() == Protocol.Optimizer.SGD) {
            g.append(MOMENTUM, p.momentum()).append(NESTEROV, p.nesterov());
        }
        g.append(WEIGHT_DECAY, p.weightDecay()).append(LR_SCHEDULE, p.lrSchedule().id());
        if (p.lrSchedule() == LrSchedule.Kind.STEP) {
            g.append(LR_MILESTONES, p.lrMilestones().stream().map(String::valueOf)
                    .collect(java.util.stream.Collectors.joining(","))).append(LR_DECAY, p.lrDecay());
        }
        g.append(WARMUP_EPOCHS, p.warmupEpochs()).append(AUGMENT, p.augment().id());
        optional(g, TRAIN_LIMIT, s.trainLimit());
        optional(g, TEST_LIMIT, s.testLimit());
        g.append(STATUS, r.status().name());
        if (r.error() != null) {
            g.append(ERROR, r.error());
        }
        optional(g, TEST_ACCURACY, r.testAccuracy());
        optional(g, TEST_LOSS, r.testLoss());
        optional(g, BEST_TEST_ACCURACY, r.bestTestAccuracy());
        optional(g, TRAIN_LOSS, r.trainLoss());
        g.append(TRAIN_TIME_S, r.trainTimeS());
        optional(g, IMAGES_PER_S, r.imagesPerS());
        g.append(EPOCHS_COMPLETED, r.epochs().size()).append(NUM_PARAMS, r.numParams())
                .append(STARTED_AT, micros(r.startedAt())).append(FINISHED_AT, micros(r.finishedAt()))
                .append(ATTEMPT, ctx.attempt()).append(RUN_ID, ctx.runId())
                .append(EXECUTOR_ID, ctx.executorId())
                .append(HOST, ctx.host()).append(DEVICE, r.device());
        Provenance v = ctx.provenance();
        optional(g, GNSWEEP_VERSION, v.gnsweepVersion());
        optional(g, GIT_COMMIT, v.gitCommit());
        optional(g, DL4J_VERSION, v.dl4jVersion());
        optional(g, ND4J_BACKEND, v.nd4jBackend());
        optional(g, SPARK_VERSION, v.sparkVersion());
        optional(g, JAVA_VERSION, v.javaVersion());
        optional(g, OS, v.os());
        optional(g, ARCH, v.arch());
        return g;
    }

    private static void optional(Group g, String field, Object value) {
        if (value instanceof Integer i) {
            g.append(field, i);
        } else if (value instanceof Double d) {
            g.append(field, d);
        } else if (value instanceof String s) {
            g.append(field, s);
        }
    }

    private static long micros(Instant t) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, t);
    }

    private Path tmp(String table, String id) {
        return new Path(output + "/" + table + "/_tmp-" + id + "-" + UUID.randomUUID());
    }

    private ParquetWriter<Group> writer(Path file, MessageType schema) throws IOException {
        return ExampleParquetWriter.builder(file).withConf(fs().getConf()).withType(schema)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE).build();
    }

    /** Object stores, where rename is a copy but an object written by a PUT appears whole, in one step. */
    private static final Set<String> PUT_IS_ATOMIC = Set.of("s3a", "s3", "s3n", "gs");

    /**
     * Replaces target by tmp in one step: at every moment a reader finds either the old file or the new one,
     * never none (deleting the target first, as Hadoop's generic rename-with-overwrite does, leaves a moment
     * in which the trial looks unfinished to {@link #has}, {@link #finished}, the summary and the report). On
     * a POSIX file system (local, or a shared NFS mount) {@code rename} is rename(2), which replaces the
     * target atomically. HDFS's plain rename refuses an existing target; its rename with
     * {@code Options.Rename.OVERWRITE} is one NameNode operation, reached through {@link FileContext}.
     */
    private void moveIntoPlace(Path tmp, Path target) throws IOException {
        FileSystem fs = fs();
        if (fs.rename(tmp, target)) {
            return;
        }
        try {
            FileContext.getFileContext(target.toUri(), fs.getConf()).rename(tmp, target, Options.Rename.OVERWRITE);
        } catch (IOException e) {
            fs.delete(tmp, false);
            throw new IOException("could not move " + tmp + " to " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where the file is written before {@link #moveIntoPlace}: a temporary name beside it, or on an object store
     * the final name itself (the new object replaces the old one only when its upload completes, while a
     * rename there would be a copy that first removes the old object).
     */
    private Path staging(String table, String id, Path target) throws IOException {
        return PUT_IS_ATOMIC.contains(fs().getScheme()) ? target : tmp(table, id);
    }
}
