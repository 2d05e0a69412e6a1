package io.gnsweep.spark;

import static io.gnsweep.tables.ResultColumns.*;
import static org.apache.parquet.schema.LogicalTypeAnnotation.stringType;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BOOLEAN;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.DOUBLE;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT64;

import io.gnsweep.tables.ResultColumns;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Types;

/**
 * The Parquet schemas of the result tables. Plain types only (strings, ints, longs, doubles, UTC
 * timestamps in microseconds), so Spark SQL, DuckDB and pandas read them without help. Optional columns
 * are null where they do not apply (groups unless norm = group, model_depth and zero_init_last_norm unless the
 * model is resnet, momentum and nesterov unless the optimizer is sgd, lr_milestones and lr_decay unless the
 * schedule is step, error unless the trial did not complete, metrics when no epoch finished). The protocol
 * columns are optional so that tables written before they existed merge with newer ones (read with
 * {@code mergeSchema}); in such older rows they are null, and mean Adam, no decay, a constant rate. The names are
 * {@link io.gnsweep.tables.ResultColumns}'s.
 */
final class ResultSchema {
    private ResultSchema() {}

    /** Timestamps: microseconds since the epoch, UTC. */
    private static final LogicalTypeAnnotation UTC_MICROS =
            LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS);

    /** {@code trials/}: one row per trial. */
    static final MessageType TRIALS = Types.buildMessage()
            .required(BINARY).as(stringType()).named(SWEEP_NAME)
            .required(BINARY).as(stringType()).named(SWEEP_ID)
            .required(BINARY).as(stringType()).named(TRIAL_ID)
            .required(BINARY).as(stringType()).named(NORM)
            .optional(INT32).named(GROUPS)
            .required(INT32).named(BATCH_SIZE)
            .required(DOUBLE).named(LR)
            .required(INT32).named(ResultColumns.EPOCHS)
            .required(INT32).named(SEED)
            .required(BINARY).as(stringType()).named(DATASET)
            .required(BINARY).as(stringType()).named(MODEL)
            .required(DOUBLE).named(MODEL_WIDTH)
            .optional(INT32).named(MODEL_DEPTH)
            .optional(BOOLEAN).named(ZERO_INIT_LAST_NORM)
            .optional(BINARY).as(stringType()).named(OPTIMIZER)
            .optional(DOUBLE).named(MOMENTUM)
            .optional(BOOLEAN).named(NESTEROV)
            .optional(DOUBLE).named(WEIGHT_DECAY)
            .optional(BINARY).as(stringType()).named(LR_SCHEDULE)
            .optional(BINARY).as(stringType()).named(LR_MILESTONES)
            .optional(DOUBLE).named(LR_DECAY)
            .optional(DOUBLE).named(WARMUP_EPOCHS)
            .optional(BINARY).as(stringType()).named(AUGMENT)
            .optional(INT32).named(TRAIN_LIMIT)
            .optional(INT32).named(TEST_LIMIT)
            .required(BINARY).as(stringType()).named(STATUS)
            .optional(BINARY).as(stringType()).named(ERROR)
            .optional(DOUBLE).named(TEST_ACCURACY)
            .optional(DOUBLE).named(TEST_LOSS)
            .optional(DOUBLE).named(BEST_TEST_ACCURACY)
            .optional(DOUBLE).named(TRAIN_LOSS)
            .required(DOUBLE).named(TRAIN_TIME_S)
            .optional(DOUBLE).named(IMAGES_PER_S)
            .required(INT32).named(EPOCHS_COMPLETED)
            .required(INT64).named(NUM_PARAMS)
            .required(INT64).as(UTC_MICROS).named(STARTED_AT)
            .required(INT64).as(UTC_MICROS).named(FINISHED_AT)
            .required(INT32).named(ATTEMPT)
            .optional(BINARY).as(stringType()).named(RUN_ID)
            .required(BINARY).as(stringType()).named(EXECUTOR_ID)
            .required(BINARY).as(stringType()).named(HOST)
            .required(BINARY).as(stringType()).named(DEVICE)
            .optional(BINARY).as(stringType()).named(GNSWEEP_VERSION)
            .optional(BINARY).as(stringType()).named(GIT_COMMIT)
            .optional(BINARY).as(stringType()).named(DL4J_VERSION)
            .optional(BINARY).as(stringType()).named(ND4J_BACKEND)
            .optional(BINARY).as(stringType()).named(SPARK_VERSION)
            .optional(BINARY).as(stringType()).named(JAVA_VERSION)
            .optional(BINARY).as(stringType()).named(OS)
            .optional(BINARY).as(stringType()).named(ARCH)
            .named("trial");

    /** {@code epochs/}: one row per trial per finished epoch. */
    static final MessageType EPOCHS = Types.buildMessage()
            .required(BINARY).as(stringType()).named(SWEEP_ID)
            .required(BINARY).as(stringType()).named(TRIAL_ID)
            .required(INT32).named(EPOCH)
            .required(DOUBLE).named(TRAIN_LOSS)
            .required(DOUBLE).named(TEST_LOSS)
            .required(DOUBLE).named(TEST_ACCURACY)
            .required(DOUBLE).named(EPOCH_TIME_S)
            .required(DOUBLE).named(IMAGES_PER_S)
            .named("epoch");
}
