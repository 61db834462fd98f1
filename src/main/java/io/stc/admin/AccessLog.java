package io.stc.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: event loops hand records to a bounded lock-free queue, and one writer thread
 * formats and writes them, so a slow disk never stalls the proxy. When the queue is full the
 * record is dropped and counted.
 */
public final class AccessLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AccessLog.class);
  static final int CAPACITY = 65_536;
  /** How often the writer looks whether the log file was rotated (moved away or replaced). */
  private static final long ROTATION_CHECK_NANOS = 1_000_000_000L;
  private static final DateTimeFormatter CLF =
      DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneId.systemDefault());
  private static final JsonFactory JSON = new JsonFactory();

  /** How each line looks. */
  public enum Format {
    /**
     * nginx's {@code combined} (client, time, request line with its protocol, status, body bytes,
     * referer, user agent), then stc's {@code backend=}, {@code ms=}, {@code failure=}, {@code request_id=}, {@code attempts=} and, with
     * {@code tracing} on, {@code trace_id=}.
     */
    COMBINED,
    /** One JSON object per line, with the same fields. */
    JSON
  }

  private final Writer out;
  private final boolean closeOut;
  private final Format format;
  private final ConcurrentLinkedQueue<RequestRecord> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder written = new LongAdder();
  private final Thread writer;
  private volatile boolean closed;

  private AccessLog(Writer out, boolean closeOut, Format format) {
    this.out = out;
    this.closeOut = closeOut;
    this.format = format;
    this.writer = new Thread(this::drainLoop, "stc-access-log");
    writer.setDaemon(true);
    writer.start();
  }

  /** Opens the log at {@code path} ("stdout" for standard output), appending to an existing file. */
  public static AccessLog open(String path, String format) throws IOException {
    Format f = Format.valueOf(format.toUpperCase(Locale.ROOT));
    if (path.equals("stdout")) {
      return new AccessLog(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), false, f);
    }
    // The config check made sure the directory exists: nothing is created here unasked.
    Path p = Path.of(path);
    return new AccessLog(new LogFileWriter(p), true, f);
  }

  /** Queues one record; never blocks. */
  public void offer(RequestRecord r) {
    if (size.incrementAndGet() > CAPACITY) {
      size.decrementAndGet();
      dropped.increment();
      return;
    }
    queue.offer(r);
  }

  /** Records dropped because the writer fell behind. */
  public long dropped() {
    return dropped.sum();
  }

  public long written() {
    return written.sum();
  }

  private void drainLoop() {
    StringBuilder line = new StringBuilder(256);
    long lastRotationCheck = System.nanoTime();
    while (true) {
      if (out instanceof LogFileWriter file && System.nanoTime() - lastRotationCheck >= ROTATION_CHECK_NANOS) {
        lastRotationCheck = System.nanoTime();
        try {
          file.followRotation();
        } catch (IOException e) {
          log.warn("access log: cannot follow a rotation: {}", e.getMessage());
        }
      }
      RequestRecord r = queue.poll();
      if (r == null) {
        flush();
        if (closed && queue.isEmpty()) {
          return;
        }
        // Idle: a short park costs nothing on the proxy's side, which never waits for the writer.
        LockSupport.parkNanos(10_000_000L);
        continue;
      }
      size.decrementAndGet();
      line.setLength(0);
      format(r, line);
      try {
        out.append(line);
        written.increment();
      } catch (IOException e) {
        dropped.increment();
        log.warn("access log write failed: {}", e.getMessage());
      }
    }
  }

  private void flush() {
    try {
      out.flush();
    } catch (IOException e) {
      log.warn("access log flush failed: {}", e.getMessage());
    }
  }

  void format(RequestRecord r, StringBuilder sb) {
    if (format == Format.JSON) {
      sb.append(json(r)).append('\n');
      return;
    }
    sb.append(r.client() == null ? "-" : r.client()).append(" - - [").append(CLF.format(Instant.ofEpochMilli(r.epochMillis())))
        .append("] \"");
    escaped(sb, r.method());
    sb.append(' ');
    escaped(sb, r.path());
    sb.append(' ').append(r.protocol()).append("\" ").append(loggedStatus(r.status())).append(' ').append(r.bodyBytes())
        .append(" \"");
    escaped(sb, r.referer());
    sb.append("\" \"");
    escaped(sb, r.userAgent());
    sb.append("\" backend=").append(r.backend() == null ? "-" : r.backend())
        .append(" ms=").append(String.format(Locale.ROOT, "%.3f", r.latencyMillis()))
        .append(" failure=").append(r.failure() == null ? "-" : r.failure())
        .append(" request_id=");
    // A client's own ID is kept only when it is letters, digits and +/=._:- (RequestIds); escaped all the same.
    escaped(sb, r.requestId());
    sb.append(" attempts=").append(r.attempts());
    if (r.traceId() != null) {
      sb.append(" trace_id=").append(r.traceId());
    }
    sb.append('\n');
  }

  /**
   * The status as logged: a client that went away before its response was complete shows as
   * nginx's 499, as log analysers expect, not as 0.
   */
  static int loggedStatus(int status) {
    return status <= 0 ? 499 : status;
  }

  /**
   * Appends {@code value} ("-" when null or empty) so that it cannot end its quoted field or the
   * line: a quote, a backslash, control characters and anything beyond ASCII become
   * {@code \xHH}, as nginx's {@code escape=default} writes them. A client chooses its User-Agent and
   * Referer, and must not be able to forge log lines with them.
   */
  static void escaped(StringBuilder sb, String value) {
    if (value == null || value.isEmpty()) {
      sb.append('-');
      return;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c > 0xff) {
        // Header values are bytes seen as ISO-8859-1 characters; anything else, its UTF-8 bytes.
        for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
          hex(sb, b & 0xff);
        }
      } else if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f) {
        hex(sb, c);
      } else {
        sb.append(c);
      }
    }
  }

  private static void hex(StringBuilder sb, int b) {
    sb.append("\\x").append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 0xf, 16));
  }

  private static String json(RequestRecord r) {
    StringWriter w = new StringWriter(200);
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      g.writeStringField("time", Instant.ofEpochMilli(r.epochMillis()).toString());
      g.writeStringField("method", r.method());
      g.writeStringField("path", r.path());
      g.writeStringField("protocol", r.protocol());
      g.writeStringField("host", r.host());
      g.writeStringField("client", r.client());
      g.writeStringField("backend", r.backend());
      g.writeNumberField("status", loggedStatus(r.status()));
      g.writeNumberField("bytes", r.bodyBytes());
      g.writeStringField("referer", r.referer());
      g.writeStringField("user_agent", r.userAgent());
      g.writeNumberField("latency_ms", Math.round(r.latencyMillis() * 1000) / 1000.0);
      g.writeStringField("failure", r.failure());
      g.writeStringField("request_id", r.requestId());
      g.writeNumberField("attempts", r.attempts());
      if (r.traceId() != null) {
        g.writeStringField("trace_id", r.traceId());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return w.toString();
  }

  /** Writes what is queued, then stops the writer. */
  @Override
  public void close() throws InterruptedException {
    closed = true;
    LockSupport.unpark(writer);
    writer.join(5000);
    try {
      if (closeOut) {
        out.close();
      } else {
        out.flush();
      }
    } catch (IOException e) {
      log.warn("access log close failed: {}", e.getMessage());
    }
  }
}
