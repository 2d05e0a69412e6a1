package io.gnsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gnsweep.tables.ResultColumns;
import java.util.List;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.parquet.schema.Type;
import org.junit.jupiter.api.Test;

/**
 * The result tables' schemas, built from {@link ResultColumns}, are those the tables have always been written
 * with (the text below is the schema as it stood before the names moved), and the column lists name each
 * column in schema order.
 */
class ResultSchemaTest {
    static final MessageType TRIALS_AS_WRITTEN = MessageTypeParser.parseMessageType("message trial {\n"
            + "  required binary sweep_name (STRING);\n"
            + "  required binary sweep_id (STRING);\n"
            + "  required binary trial_id (STRING);\n"
            + "  required binary norm (STRING);\n"
            + "  optional int32 groups;\n"
            + "  required int32 batch_size;\n"
            + "  required double lr;\n"
            + "  required int32 epochs;\n"
            + "  required int32 seed;\n"
            + "  required binary dataset (STRING);\n"
            + "  required binary model (STRING);\n"
            + "  required double model_width;\n"
            + "  optional int32 model_depth;\n"
            + "  optional boolean zero_init_last_norm;\n"
            + "  optional binary optimizer (STRING);\n"
            + "  optional double momentum;\n"
            + "  optional boolean nesterov;\n"
            + "  optional double weight_decay;\n"
            + "  optional binary lr_schedule (STRING);\n"
            + "  optional binary lr_milestones (STRING);\n"
            + "  optional double lr_decay;\n"
            + "  optional double warmup_epochs;\n"
            + "  optional binary augment (STRING);\n"
            + "  optional int32 train_limit;\n"
            + "  optional int32 test_limit;\n"
            + "  required binary status (STRING);\n"
            + "  optional binary error (STRING);\n"
            + "  optional double test_accuracy;\n"
            + "  optional double test_loss;\n"
            + "  optional double best_test_accuracy;\n"
            + "  optional double train_loss;\n"
            + "  required double train_time_s;\n"
            + "  optional double images_per_s;\n"
            + "  required int32 epochs_completed;\n"
            + "  required int64 num_params;\n"
            + "  required int64 started_at (TIMESTAMP(MICROS,true));\n"
            + "  required int64 finished_at (TIMESTAMP(MICROS,true));\n"
            + "  required int32 attempt;\n"
            + "  optional binary run_id (STRING);\n"
            + "  required binary executor_id (STRING);\n"
            + "  required binary host (STRING);\n"
            + "  required binary device (STRING);\n"
            + "  optional binary gnsweep_version (STRING);\n"
            + "  optional binary git_commit (STRING);\n"
            + "  optional binary dl4j_version (STRING);\n"
            + "  optional binary nd4j_backend (STRING);\n"
            + "  optional binary spark_version (STRING);\n"
            + "  optional binary java_version (STRING);\n"
            + "  optional binary os (STRING);\n"
            + "  optional binary arch (STRING);\n"
            + "}");

    static final MessageType EPOCHS_AS_WRITTEN = MessageTypeParser.parseMessageType("message epoch {\n"
            + "  required binary sweep_id (STRING);\n"
            + "  required binary trial_id (STRING);\n"
            + "  required int32 epoch;\n"
            + "  required double train_loss;\n"
            + "  required double test_loss;\n"
            + "  required double test_accuracy;\n"
            + "  required double epoch_time_s;\n"
            + "  required double images_per_s;\n"
            + "}");

    private static List<String> names(MessageType t) {
        return t.getFields().stream().map(Type::getName).toList();
    }

    @Test
    void theSchemasAreUnchanged() {
        assertEquals(TRIALS_AS_WRITTEN, ResultSchema.TRIALS);
        assertEquals(EPOCHS_AS_WRITTEN, ResultSchema.EPOCHS);
    }

    @Test
    void theColumnListsNameEveryColumnInOrder() {
        assertEquals(names(ResultSchema.TRIALS), ResultColumns.TRIALS_TABLE);
        assertEquals(names(ResultSchema.EPOCHS), ResultColumns.EPOCHS_TABLE);
    }
}
