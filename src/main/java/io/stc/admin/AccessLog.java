package io.stc.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
  private static final DateTimeFormatter CLF =
      DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneId.systemDefault());
  private static final JsonFactory JSON = new JsonFactory();

  /** How each line looks. */
  public enum Format {
    /** Apache/nginx combined; fields stc does not see (size, referer, user agent) are "-". */
    COMBINED,
    /** One JSON object per line. */
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
    OutputStream os = Files.newOutputStream(p, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    return new AccessLog(new OutputStreamWriter(os, StandardCharsets.UTF_8), true, f);
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
    while (true) {
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
    sb.append(r.client() == null ? "-" : r.client())
        .append(" - - [")
        .append(CLF.format(Instant.ofEpochMilli(r.epochMillis())))
        .append("] \"")
        .append(r.method())
        .append(' ')
        .append(r.path())
        .append(" HTTP/1.1\" ")
        .append(r.status())
        .append(" - \"-\" \"-\" backend=")
        .append(r.backend() == null ? "-" : r.backend())
        .append(" ms=")
        .append(String.format(Locale.ROOT, "%.3f", r.latencyMillis()))
        .append('\n');
  }

  private static String json(RequestRecord r) {
    StringWriter w = new StringWriter(200);
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      g.writeStringField("time", Instant.ofEpochMilli(r.epochMillis()).toString());
      g.writeStringField("method", r.method());
      g.writeStringField("path", r.path());
      g.writeStringField("client", r.client());
      g.writeStringField("backend", r.backend());
      g.writeNumberField("status", r.status());
      g.writeNumberField("latency_ms", Math.round(r.latencyMillis() * 1000) / 1000.0);
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
