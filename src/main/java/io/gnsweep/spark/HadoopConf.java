package io.gnsweep.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

/**
 * The Hadoop configuration of gnsweep's own file-system clients (result tables, dataset URIs): Hadoop's
 * defaults and site files plus every {@code spark.hadoop.*} key of the Spark conf, as Spark gives its own
 * readers and writers. So S3A endpoints and credentials, HDFS client settings and the like are set once, with
 * Spark's standard keys, and reach the driver's checks and every executor alike.
 */
final class HadoopConf {
    private static final String PREFIX = "spark.hadoop.";

    private HadoopConf() {}

    /** On an executor (or a running driver) from its Spark conf; before Spark starts, from the System properties. */
    static Configuration get() {
        SparkEnv env = SparkEnv.get();
        SparkConf spark = env != null ? env.conf() : new SparkConf();
        Configuration conf = new Configuration();
        for (Tuple2<String, String> kv : spark.getAllWithPrefix(PREFIX)) {
            conf.set(kv._1(), kv._2(), "spark conf " + PREFIX + kv._1());
        }
        return conf;
    }
}
