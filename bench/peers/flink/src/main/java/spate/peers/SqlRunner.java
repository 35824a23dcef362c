package spate.peers;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.config.TableConfigOptions;

/**
 * Runs a SQL script (Flink's dialect, the same file Spate runs with spate-submit --sql-file) on
 * Flink 2.2 in one JVM: a streaming TableEnvironment on a local MiniCluster (addresses bound to
 * 127.0.0.1), every statement through executeSql in order, waiting for each INSERT to finish.
 * The scripts' Kafka sources are bounded ('scan.bounded.mode' = 'latest-offset'), so at the end
 * of input the watermark goes to +infinity and every window is emitted; the 'filesystem' sink
 * commits its files when the input ends.
 *
 * <p>Usage: SqlRunner --sql-file FILE [--parallelism 2] [--records N] [--mode streaming|batch]
 *
 * <p>The session time zone is UTC (table.local-time-zone), so window_start/window_end of a
 * TIMESTAMP_LTZ time attribute print as UTC, as Spate's do. The script is not changed: its
 * placeholders are filled before it gets here.
 *
 * <p>Prints "summary: records=N seconds=S records_per_s=R jvm_start_s=J peak_rss_mb=P
 * jvm_cpu_s=C parallelism=P mode=M": seconds from creating the TableEnvironment (the
 * MiniCluster starts inside it) to the end of the last statement; N as given by --records (0
 * when not given), jvm_start_s the JVM's start to main, peak_rss_mb the JVM's VmHWM, jvm_cpu_s
 * its user + system CPU seconds.
 */
public final class SqlRunner {
  /** The statements of a script: split at ';' outside quotes, backticks and comments. */
  static List<String> statements(String script) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    int n = script.length();
    for (int i = 0; i < n; i++) {
      char c = script.charAt(i);
      if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
        while (i < n && script.charAt(i) != '\n') {
          i++;
        }
        cur.append('\n');
        continue;
      }
      if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
        int end = script.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 1;
        cur.append(' ');
        continue;
      }
      if (c == '\'' || c == '`' || c == '"') {
        int j = i + 1;
        while (j < n) {
          if (script.charAt(j) == c) {
            if (j + 1 < n && script.charAt(j + 1) == c) {
              j += 2;  // a doubled quote inside the literal
              continue;
            }
            break;
          }
          j++;
        }
        cur.append(script, i, Math.min(j + 1, n));
        i = j;
        continue;
      }
      if (c == ';') {
        if (!cur.toString().isBlank()) {
          out.add(cur.toString().trim());
        }
        cur.setLength(0);
        continue;
      }
      cur.append(c);
    }
    if (!cur.toString().isBlank()) {
      out.add(cur.toString().trim());
    }
    return out;
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
    String sqlFile = null;
    int parallelism = 2;
    long records = 0;
    String mode = "streaming";
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--sql-file" -> sqlFile = args[++i];
        case "--parallelism" -> parallelism = Integer.parseInt(args[++i]);
        case "--records" -> records = Long.parseLong(args[++i]);
        case "--mode" -> mode = args[++i];
        default -> {
          System.err.println("SqlRunner: unknown argument " + a);
          System.exit(2);
        }
      }
    }
    if (sqlFile == null || !(mode.equals("streaming") || mode.equals("batch"))) {
      System.err.println("usage: SqlRunner --sql-file FILE [--parallelism 2] [--records N] "
          + "[--mode streaming|batch]");
      System.exit(2);
    }
    double jvmStartS = (mainStartMs - ManagementFactory.getRuntimeMXBean().getStartTime()) / 1e3;
    List<String> stmts =
        statements(new String(Files.readAllBytes(Paths.get(sqlFile)), StandardCharsets.UTF_8));

    Configuration conf = new Configuration();
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.ADDRESS, "127.0.0.1");
    conf.set(JobManagerOptions.ADDRESS, "127.0.0.1");
    conf.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
    conf.set(TaskManagerOptions.HOST, "127.0.0.1");
    conf.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
    conf.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
    conf.set(TableConfigOptions.LOCAL_TIME_ZONE, "UTC");

    long t0 = System.nanoTime();
    EnvironmentSettings.Builder settings = EnvironmentSettings.newInstance().withConfiguration(conf);
    TableEnvironment tenv = TableEnvironment.create(
        mode.equals("batch") ? settings.inBatchMode().build() : settings.inStreamingMode().build());
    for (String s : stmts) {
      TableResult r = tenv.executeSql(s);
      if (r.getJobClient().isPresent()) {
        r.await();
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long rss = peakRssKb();
    double cpuS = ((com.sun.management.OperatingSystemMXBean)
        ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    System.out.printf(Locale.ROOT,
        "summary: records=%d seconds=%.3f records_per_s=%.0f jvm_start_s=%.3f "
            + "peak_rss_mb=%d jvm_cpu_s=%.2f parallelism=%d mode=%s statements=%d%n",
        records, seconds, records / seconds, jvmStartS, rss < 0 ? -1 : rss / 1024, cpuS,
        parallelism, mode, stmts.size());
    System.out.flush();
    System.exit(0);
  }
}
