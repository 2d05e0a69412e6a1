package io.gnsweep.tables;

import java.util.List;

/**
 * The column names of the result tables, spelled once: {@code trials} (one row per trial) and {@code epochs}
 * (one row per trial per finished epoch), which the sweep job writes ({@code io.gnsweep.spark.ResultSchema}) and
 * the report reads ({@code io.gnsweep.report.ResultTables}). A name both tables hold means the same in each
 * (the epochs table's metrics are the trial's after that epoch). What each column holds: docs/results-schema.md.
 */
public final class ResultColumns {
    private ResultColumns() {}

    // The trial's identity and settings.
    public static final String SWEEP_NAME = "sweep_name";
    public static final String SWEEP_ID = "sweep_id";
    public static final String TRIAL_ID = "trial_id";
    public static final String NORM = "norm";
    public static final String GROUPS = "groups";
    public static final String BATCH_SIZE = "batch_size";
    public static final String LR = "lr";
    public static final String EPOCHS = "epochs";
    public static final String SEED = "seed";
    public static final String DATASET = "dataset";
    public static final String MODEL = "model";
    public static final String MODEL_WIDTH = "model_width";
    public static final String MODEL_DEPTH = "model_depth";
    public static final String ZERO_INIT_LAST_NORM = "zero_init_last_norm";
    public static final String OPTIMIZER = "optimizer";
    public static final String MOMENTUM = "momentum";
    public static final String NESTEROV = "nesterov";
    public static final String WEIGHT_DECAY = "weight_decay";
    public static final String LR_SCHEDULE = "lr_schedule";
    public static final String LR_MILESTONES = "lr_milestones";
    public static final String LR_DECAY = "lr_decay";
    public static final String WARMUP_EPOCHS = "warmup_epochs";
    public static final String AUGMENT = "augment";
    public static final String TRAIN_LIMIT = "train_limit";
    public static final String TEST_LIMIT = "test_limit";

    // Its outcome and metrics.
    public static final String STATUS = "status";
    public static final String ERROR = "error";
    public static final String TEST_ACCURACY = "test_accuracy";
    public static final String TEST_LOSS = "test_loss";
    public static final String BEST_TEST_ACCURACY = "best_test_accuracy";
    public static final String TRAIN_LOSS = "train_loss";
    public static final String TRAIN_TIME_S = "train_time_s";
    public static final String IMAGES_PER_S = "images_per_s";

    // Its cost and where it ran.
    public static final String EPOCHS_COMPLETED = "epochs_completed";
    public static final String NUM_PARAMS = "num_params";
    public static final String STARTED_AT = "started_at";
    public static final String FINISHED_AT = "finished_at";
    public static final String ATTEMPT = "attempt";
    public static final String RUN_ID = "run_id";
    public static final String EXECUTOR_ID = "executor_id";
    public static final String HOST = "host";
    public static final String DEVICE = "device";

    // Its provenance (io.gnsweep.runtime.Provenance).
    public static final String GNSWEEP_VERSION = "gnsweep_version";
    public static final String GIT_COMMIT = "git_commit";
    public static final String DL4J_VERSION = "dl4j_version";
    public static final String ND4J_BACKEND = "nd4j_backend";
    public static final String SPARK_VERSION = "spark_version";
    public static final String JAVA_VERSION = "java_version";
    public static final String OS = "os";
    public static final String ARCH = "arch";

    // The epochs table's own (besides sweep_id, trial_id and the metrics).
    public static final String EPOCH = "epoch";
    public static final String EPOCH_TIME_S = "epoch_time_s";

    /** The trials table's columns, in the order of its schema. */
    public static final List<String> TRIALS_TABLE = List.of(SWEEP_NAME, SWEEP_ID, TRIAL_ID, NORM, GROUPS,
            BATCH_SIZE, LR, EPOCHS, SEED, DATASET, MODEL, MODEL_WIDTH, MODEL_DEPTH, ZERO_INIT_LAST_NORM, OPTIMIZER,
            MOMENTUM, NESTEROV, WEIGHT_DECAY, LR_SCHEDULE, LR_MILESTONES, LR_DECAY, WARMUP_EPOCHS, AUGMENT,
            TRAIN_LIMIT, TEST_LIMIT, STATUS, ERROR, TEST_ACCURACY, TEST_LOSS, BEST_TEST_ACCURACY, TRAIN_LOSS,
            TRAIN_TIME_S, IMAGES_PER_S, EPOCHS_COMPLETED, NUM_PARAMS, STARTED_AT, FINISHED_AT, ATTEMPT,
            RUN_ID, EXECUTOR_ID, HOST, DEVICE, GNSWEEP_VERSION, GIT_COMMIT, DL4J_VERSION, ND4J_BACKEND, SPARK_VERSION,
            JAVA_VERSION, OS, ARCH);

    /** The epochs table's columns, in the order of its schema. */
    public static final List<String> EPOCHS_TABLE = List.of(SWEEP_ID, TRIAL_ID, EPOCH, TRAIN_LOSS, TEST_LOSS,
            TEST_ACCURACY, EPOCH_TIME_S, IMAGES_PER_S);
}
