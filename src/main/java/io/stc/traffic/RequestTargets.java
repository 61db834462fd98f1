package io.stc.traffic;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The request targets ({@code /path?query}) of the GETs an access log recorded, in its order, for
 * {@code stc load} to send its requests to: the k-th request sent goes to the k-th target, from the
 * first again once all were sent. Kept as one byte array (a million paths in tens of megabytes);
 * safe to take from on several event loops at once.
 */
public final class RequestTargets {
  private final byte[] bytes;
  private final int[] ends;
  private final int count;
  private final long skipped;
  private final String source;
  private final AtomicLong sent = new AtomicLong();

  private RequestTargets(byte[] bytes, int[] ends, int count, long skipped, String source) {
    this.bytes = bytes;
    this.ends = ends;
    this.count = count;
    this.skipped = skipped;
    this.source = source;
  }

  /** Collects targets; each must be a usable origin-form target (see {@link #usable}). */
  static final class Builder {
    private byte[] bytes = new byte[1 << 16];
    private int[] ends = new int[1 << 10];
    private int size;
    private int count;
    private long skipped;

    void add(String target) {
      byte[] b = target.getBytes(StandardCharsets.US_ASCII);
      while (size + b.length > bytes.length) {
        bytes = Arrays.copyOf(bytes, bytes.length * 2);
      }
      if (count == ends.length) {
        ends = Arrays.copyOf(ends, ends.length * 2);
      }
      System.arraycopy(b, 0, bytes, size, b.length);
      size += b.length;
      ends[count++] = size;
    }

    void skip() {
      skipped++;
    }

    int count() {
      return count;
    }

    RequestTargets build(String source) {
      return new RequestTargets(Arrays.copyOf(bytes, size), Arrays.copyOf(ends, count), count, skipped, source);
    }
  }

  static Builder builder() {
    return new Builder();
  }

  /** The targets given, in order (for tests and small lists). */
  public static RequestTargets of(List<String> targets) {
    Builder b = builder();
    for (String t : targets) {
      if (!usable(t)) {
        throw new IllegalArgumentException("not a request target: '" + t + "'");
      }
      b.add(t);
    }
    return b.build("a list");
  }

  /**
   * Whether {@code target} can go on a request line as it is: origin-form ({@code /} first), visible
   * ASCII only (an nginx log's {@code \x} escapes of other bytes are not a path), at most 8 KiB.
   */
  static boolean usable(String target) {
    if (target.isEmpty() || target.charAt(0) != '/' || target.length() > 8192) {
      return false;
    }
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c <= ' ' || c >= 0x7f || c == '\\' || c == '"') {
        return false;
      }
    }
    return true;
  }

  /** Writes the next target, as the request line needs it. */
  void writeNext(io.netty.buffer.ByteBuf out) {
    int i = (int) (sent.getAndIncrement() % count);
    int from = i == 0 ? 0 : ends[i - 1];
    out.writeBytes(bytes, from, ends[i] - from);
  }

  /** The longest target, so a buffer for any request can be sized at once. */
  int longest() {
    int most = 0;
    for (int i = 0; i < count; i++) {
      most = Math.max(most, ends[i] - (i == 0 ? 0 : ends[i - 1]));
    }
    return most;
  }

  /** How many targets there are. */
  public int count() {
    return count;
  }

  /** Lines of the log with a time that were not taken: other methods, or targets that cannot be sent as they are. */
  public long skipped() {
    return skipped;
  }

  /** Where they came from, for the report. */
  public String source() {
    return source;
  }

  /** How many requests were sent to them so far. */
  public long sent() {
    return sent.get();
  }
}
