package io.gnsweep.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 4180 quoting, and records read back as written. */
class CsvTest {

    @Test
    void quotesOnlyWhatMustBeQuoted() {
        assertEquals("a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",,x\n",
                Csv.line(List.of("a", "b,c", "say \"hi\"", "two\nlines", "", "x")));
    }

    @Test
    void aRecordReadsBackAsWritten() {
        List<String> record = List.of("layer", "gn_over_bn", "8x256x8x8 G=8", "1.2345", "", "GN 1.0, BN \"0.9\" ms");
        String line = Csv.line(record);
        assertEquals(record, Csv.fields(line.substring(0, line.length() - 1)));
    }
}
