package spate.peers;

import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.formats.json.JsonDeserializationSchema;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Flink 2.2 DataStream peer of Spate's crash detector: a bounded Kafka source (earliest to the
 * latest offsets at start), per-partition watermarks (bounded out-of-orderness, the same delay
 * as Spate's --watermark), severity in {High, Critical} and content containing "crash" (both
 * ASCII-case-insensitive), keyBy user_id, 10 s tumbling event-time windows, count > 2. At the end
 * of bounded input the watermark goes to +infinity, so every window is emitted (as Spate's
 * available-now does). Rows go to a JSON-lines file in the format of Spate's file sink.
 *
 * <p>Usage: CrashDetector --bootstrap B --topic T --output FILE [--parallelism 2] [--prefilter]
 * [--watermark-ms 10000] [--window-ms 10000] [--threshold 2] [--idleness-ms 0]
 *
 * <p>--prefilter: a raw-byte check before the JSON parser; a value that does not contain the
 * keyword (ASCII-case-insensitively) and has no backslash (so no JSON escape can spell it) is
 * dropped without parsing. Without it, every value goes through Flink's JSON deserializer.
 *
 * <p>Prints "summary: records=N seconds=S records_per_s=R jvm_start_s=J rows=K peak_rss_mb=P
 * jvm_cpu_s=C parallelism=P prefilter=true|false": N the topic's records (end minus beginning offsets),
 * seconds from building the job to its last result (JVM start excluded; jvm_start_s is the JVM's
 * start to main), peak_rss_mb the JVM's VmHWM, jvm_cpu_s its user + system CPU seconds.
 */
public final class CrashDetector {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

  /** The fields of a log record this job reads (others are ignored). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static class LogRecord {
    public long timestamp;
    public String severity;
    public String user_id;
    public String content;

    public LogRecord() {}
  }

  /** Raw-byte pre-filter in front of Flink's JSON deserializer. */
  static final class PrefilteredDeserializer implements KafkaRecordDeserializationSchema<LogRecord> {
    private final JsonDeserializationSchema<LogRecord> json;
    private final byte[] keywordLower;

    PrefilteredDeserializer(String keyword) {
      this.json = new JsonDeserializationSchema<>(LogRecord.class);
      this.keywordLower = keyword.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) throws Exception {
      json.open(context);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<LogRecord> out)
        throws IOException {
      byte[] v = record.value();
      if (v == null || !mayMatch(v)) {
        return;
      }
      out.collect(json.deserialize(v));
    }

    /** False only when the value cannot contain the keyword, even through a JSON escape. */
    private boolean mayMatch(byte[] v) {
      byte first = keywordLower[0];
      int n = keywordLower.length;
      for (int i = 0; i < v.length; i++) {
        byte b = v[i];
        if (b == '\\') {
          return true;
        }
        if ((b | 0x20) == first && i + n <= v.length) {
          int j = 1;
          while (j < n && lower(v[i + j]) == keywordLower[j]) {
            j++;
          }
          if (j == n) {
            return true;
          }
        }
      }
      return false;
    }

    private static byte lower(byte b) {
      return (b >= 'A' && b <= 'Z') ? (byte) (b | 0x20) : b;
    }

    @Override
    public TypeInformation<LogRecord> getProducedType() {
      return TypeInformation.of(LogRecord.class);
    }
  }

  /** Counts the records of a window. */
  static final class Count implements AggregateFunction<LogRecord, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(LogRecord value, Long acc) {
      return acc + 1;
    }

    @Override
    public Long getResult(Long acc) {
      return acc;
    }

    @Override
    public Long merge(Long a, Long b) {
      return a + b;
    }
  }

  /** Turns a (window, user) count above the threshold into a JSON line. */
  static final class ToRow extends ProcessWindowFunction<Long, String, String, TimeWindow> {
    private final long threshold;

    ToRow(long threshold) {
      this.threshold = threshold;
    }

    @Override
    public void process(String user, Context ctx, Iterable<Long> counts, Collector<String> out) {
      long count = counts.iterator().next();
      if (count <= threshold) {
        return;
      }
      TimeWindow w = ctx.window();
      out.collect("{\"window_start\":\"" + FORMAT.format(Instant.ofEpochMilli(w.getStart()))
          + "\",\"window_end\":\"" + FORMAT.format(Instant.ofEpochMilli(w.getEnd()))
          + "\",\"user_id\":" + jsonString(user) + ",\"crash_count\":" + count + "}");
    }
  }

  static String jsonString(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  static boolean matches(LogRecord r, String keywordLower) {
    if (r == null || r.severity == null || r.content == null || r.user_id == null) {
      return false;
    }
    String sev = r.severity.toLowerCase(Locale.ROOT);
    return (sev.equals("high") || sev.equals("critical"))
        && r.content.toLowerCase(Locale.ROOT).contains(keywordLower);
  }

  /** Records in the topic now: the sum of end minus beginning offsets. */
  static long topicRecords(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo info : c.partitionsFor(topic, Duration.ofSeconds(30))) {
        parts.add(new TopicPartition(topic, info.partition()));
      }
      Map<TopicPartition, Long> begin = c.beginningOffsets(parts, Duration.ofSeconds(30));
      Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(30));
      long n = 0;
      for (TopicPartition tp : parts) {
        n += end.get(tp) - begin.get(tp);
      }
      return n;
    }
  }

  static long peakRssKb() {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  public static void main(String[] args) throws Exception {
    long mainStartMs = System.currentTimeMillis();
    String bootstrap = null;
    String topic = null;
    String output = null;
    int parallelism = 2;
    boolean prefilter = false;
    long watermarkMs = 10_000;
    long windowMs = 10_000;
    long threshold = 2;
    long idlenessMs = 0;
    String keyword = "crash";
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--bootstrap" -> bootstrap = args[++i];
        case "--topic" -> topic = args[++i];
        case "--output" -> output = args[++i];
        case "--parallelism" -> parallelism = Integer.parseInt(args[++i]);
        case "--prefilter" -> prefilter = true;
        case "--watermark-ms" -> watermarkMs = Long.parseLong(args[++i]);
        case "--window-ms" -> windowMs = Long.parseLong(args[++i]);
        case "--threshold" -> threshold = Long.parseLong(args[++i]);
        case "--idleness-ms" -> idlenessMs = Long.parseLong(args[++i]);
        case "--keyword" -> keyword = args[++i];
        default -> {
          System.err.println("CrashDetector: unknown argument " + a);
          System.exit(2);
        }
      }
    }
    if (bootstrap == null || topic == null || output == null) {
      System.err.println("usage: CrashDetector --bootstrap B --topic T --output FILE "
          + "[--parallelism 2] [--prefilter] [--watermark-ms 10000] [--idleness-ms 0]");
      System.exit(2);
    }
    double jvmStartS = (mainStartMs - ManagementFactory.getRuntimeMXBean().getStartTime()) / 1e3;
    long records = topicRecords(bootstrap, topic);

    Configuration conf = new Configuration();
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.ADDRESS, "127.0.0.1");
    conf.set(JobManagerOptions.ADDRESS, "127.0.0.1");
    conf.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
    conf.set(TaskManagerOptions.HOST, "127.0.0.1");
    conf.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");

    long t0 = System.nanoTime();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(parallelism);

    KafkaRecordDeserializationSchema<LogRecord> deserializer = prefilter
        ? new PrefilteredDeserializer(keyword)
        : KafkaRecordDeserializationSchema.valueOnly(
            new JsonDeserializationSchema<>(LogRecord.class));
    KafkaSource<LogRecord> source = KafkaSource.<LogRecord>builder()
        .setBootstrapServers(bootstrap)
        .setTopics(topic)
        .setGroupId("spate-flink-peer-" + UUID.randomUUID())
        .setStartingOffsets(OffsetsInitializer.earliest())
        .setBounded(OffsetsInitializer.latest())
        .setDeserializer(deserializer)
        .setProperty("commit.offsets.on.checkpoint", "false")
        .build();

    WatermarkStrategy<LogRecord> watermarks = WatermarkStrategy
        .<LogRecord>forBoundedOutOfOrderness(Duration.ofMillis(watermarkMs))
        .withTimestampAssigner((r, ts) -> r.timestamp);
    if (idlenessMs > 0) {
      watermarks = watermarks.withIdleness(Duration.ofMillis(idlenessMs));
    }
    final String keywordLower = keyword.toLowerCase(Locale.ROOT);
    DataStream<String> rows = env.fromSource(source, watermarks, "kafka")
        .filter(r -> matches(r, keywordLower))
        .keyBy(r -> r.user_id)
        .window(TumblingEventTimeWindows.of(Duration.ofMillis(windowMs)))
        .aggregate(new Count(), new ToRow(threshold));

    List<String> out = new ArrayList<>();
    try (CloseableIterator<String> it = rows.executeAndCollect("flink-crash-detector")) {
      while (it.hasNext()) {
        out.add(it.next());
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    Collections.sort(out);
    Path path = Paths.get(output);
    try (BufferedWriter w = Files.newBufferedWriter(path, StandardCharsets.UTF_8)) {
      for (String line : out) {
        w.write(line);
        w.write('\n');
      }
    }
    long rss = peakRssKb();
    double cpuS = ((com.sun.management.OperatingSystemMXBean)
        ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    System.out.printf(Locale.ROOT,
        "summary: records=%d seconds=%.3f records_per_s=%.0f jvm_start_s=%.3f rows=%d "
            + "peak_rss_mb=%d jvm_cpu_s=%.2f parallelism=%d prefilter=%b%n",
        records, seconds, records / seconds, jvmStartS, out.size(),
        rss < 0 ? -1 : rss / 1024, cpuS, parallelism, prefilter);
    System.out.flush();
    System.exit(0);
  }
}
