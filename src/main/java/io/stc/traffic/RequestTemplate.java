package io.stc.traffic;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The request of a run encoded once into bytes, so sending it costs a buffer duplicate instead of
 * an HTTP encoding; a cookie header, when a virtual client holds cookies, is spliced in before the
 * blank line.
 */
final class RequestTemplate {
  private static final Set<String> FORBIDDEN = Set.of("content-length", "transfer-encoding", "connection");
  private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");
  private static final byte[] GET = "GET ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] HTTP11 = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);

  private final ByteBuf whole;
  private final byte[] head;
  private final byte[] tail;
  /** With targets: the head after its request line; each request's line is written before it. */
  private final RequestTargets targets;
  private final byte[] fields;
  private final int longestTarget;

  RequestTemplate(LoadOptions options) {
    URI url = options.url();
    StringBuilder sb = new StringBuilder(256);
    String target = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    if (url.getRawQuery() != null) {
      target += "?" + url.getRawQuery();
    }
    sb.append(options.method()).append(' ').append(target).append(" HTTP/1.1\r\n");
    int requestLine = sb.length();
    boolean host = false;
    boolean agent = false;
    for (Map.Entry<String, String> h : options.headers()) {
      String name = h.getKey().trim();
      host |= name.equalsIgnoreCase("host");
      agent |= name.equalsIgnoreCase("user-agent");
      sb.append(name).append(": ").append(h.getValue().trim()).append("\r\n");
    }
    if (!host) {
      int port = url.getPort();
      sb.append("Host: ").append(url.getHost()).append(port > 0 && port != 80 ? ":" + port : "").append("\r\n");
    }
    if (!agent) {
      sb.append("User-Agent: stc-load\r\n");
    }
    byte[] body = options.body();
    if (body.length > 0 || BODY_METHODS.contains(options.method())) {
      sb.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    targets = options.targets();
    fields = sb.substring(requestLine).getBytes(StandardCharsets.ISO_8859_1);
    longestTarget = targets == null ? 0 : targets.longest();
    tail = new byte[2 + body.length];
    tail[0] = '\r';
    tail[1] = '\n';
    System.arraycopy(body, 0, tail, 2, body.length);
    // Virtual clients send duplicates of it until their event loops stop, so there is no one point
    // to release it: its memory belongs to a JDK buffer, which the garbage collector frees.
    ByteBuffer bytes = ByteBuffer.allocateDirect(head.length + tail.length);
    bytes.put(head).put(tail).flip();
    whole = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(bytes));
  }

  /**
   * The next request: the template as it is, or, with targets, a GET of the next one; with
   * {@code cookieValue} (null for none) carrying {@code Cookie: cookieValue}. Safe to call from any thread.
   */
  ByteBuf next(ByteBufAllocator alloc, String cookieValue) {
    if (targets == null) {
      return cookieValue == null ? plain() : withCookies(alloc, cookieValue);
    }
    byte[] cookie = cookieValue == null ? new byte[0] : ("Cookie: " + cookieValue + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    ByteBuf buf = alloc.buffer(GET.length + longestTarget + HTTP11.length + fields.length + cookie.length + tail.length);
    buf.writeBytes(GET);
    targets.writeNext(buf);
    return buf.writeBytes(HTTP11).writeBytes(fields).writeBytes(cookie).writeBytes(tail);
  }

  /** The request without cookies; cheap, and safe to call from any thread. */
  ByteBuf plain() {
    return whole.duplicate();
  }

  /** The request carrying {@code Cookie: cookieValue}. */
  ByteBuf withCookies(ByteBufAllocator alloc, String cookieValue) {
    byte[] cookie = ("Cookie: " + cookieValue + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    ByteBuf buf = alloc.buffer(head.length + cookie.length + tail.length);
    return buf.writeBytes(head).writeBytes(cookie).writeBytes(tail);
  }

  /** Bytes of the request without cookies. */
  int size() {
    return head.length + tail.length;
  }

  /** Rejects header names and values that would break the request framing. */
  static void checkHeader(String name, String value) {
    String n = name.trim();
    if (n.isEmpty() || !n.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
      throw new IllegalArgumentException("bad header name '" + name + "'");
    }
    if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("header " + n + " has a line break in its value");
    }
    if (FORBIDDEN.contains(n.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException(
          "header " + n + " is set by stc load itself (Content-Length from the body; connections are always keep-alive)");
    }
  }
}
