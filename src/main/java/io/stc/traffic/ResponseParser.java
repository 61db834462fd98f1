package io.stc.traffic;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * An incremental HTTP/1.1 response parser that keeps only what a load test needs: the status, one
 * header value (the served-by header), whether the connection stays open, and Set-Cookie values on
 * request. Bodies are skipped (Content-Length, chunked, or until close). Bytes may arrive split
 * anywhere; a response in steady state allocates nothing, which Netty's general decoder cannot
 * offer at tens of thousands of responses per second.
 */
final class ResponseParser {
  /** A response that is not HTTP/1.x as this parser understands it. */
  static final class MalformedResponse extends Exception {
    MalformedResponse(String message) {
      super(message, null, false, false);
    }
  }

  private enum State { STATUS, HEADER, BODY, CHUNK_SIZE, CHUNK_END, TRAILER, UNTIL_CLOSE }

  private static final int MAX_LINE = 64 * 1024;
  private static final byte[] CONTENT_LENGTH = ascii("content-length");
  private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
  private static final byte[] CONNECTION = ascii("connection");
  private static final byte[] SET_COOKIE = ascii("set-cookie");
  private static final int VALUE_CACHE = 16;

  private final boolean head;
  private final byte[] servedByName;
  private final boolean collectCookies;
  private final byte[][] cachedValues = new byte[VALUE_CACHE][];
  private final String[] cachedStrings = new String[VALUE_CACHE];
  private int cached;
  private byte[] line = new byte[256];
  private int lineLength;
  private State state = State.STATUS;
  private long remaining;
  private boolean chunked;
  private long contentLength;
  private boolean http10;
  private boolean closeToken;
  private boolean keepAliveToken;
  private int status;
  private String servedBy;
  private boolean keepAlive;
  private final List<String> cookies;

  /**
   * @param head the requests are HEAD, so responses carry no body whatever their headers say
   * @param servedByHeader name of the header whose value {@link #servedBy()} returns
   */
  ResponseParser(boolean head, String servedByHeader, boolean collectCookies) {
    this.head = head;
    this.servedByName = ascii(servedByHeader.toLowerCase(Locale.ROOT));
    this.collectCookies = collectCookies;
    this.cookies = collectCookies ? new ArrayList<>(2) : List.of();
  }

  /** Forgets any partial response, for a new connection. */
  void reset() {
    state = State.STATUS;
    lineLength = 0;
  }

  /** Status code of the last complete response. */
  int status() {
    return status;
  }

  /** Served-by header value of the last complete response, or null. */
  String servedBy() {
    return servedBy;
  }

  /** Whether the connection may carry another request after the last complete response. */
  boolean keepAlive() {
    return keepAlive;
  }

  /** Set-Cookie values of the last complete response (when collecting). */
  List<String> cookies() {
    return cookies;
  }

  /**
   * Consumes bytes of {@code in} up to the end of one response and returns true when that response
   * is complete; false when more bytes are needed (everything readable was consumed).
   */
  boolean parse(ByteBuf in) throws MalformedResponse {
    while (in.isReadable()) {
      switch (state) {
        case BODY -> {
          int n = (int) Math.min(remaining, in.readableBytes());
          in.skipBytes(n);
          remaining -= n;
          if (remaining == 0) {
            if (!chunked) {
              return complete();
            }
            state = State.CHUNK_END;
          }
        }
        case UNTIL_CLOSE -> in.skipBytes(in.readableBytes());
        default -> {
          if (!readLine(in)) {
            return false;
          }
          boolean done = onLine();
          lineLength = 0;
          if (done) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** The connection closed: true when that ends a response delimited by the close. */
  boolean closed() {
    if (state == State.UNTIL_CLOSE) {
      keepAlive = false;
      return complete();
    }
    return false;
  }

  private boolean onLine() throws MalformedResponse {
    switch (state) {
      case STATUS -> startResponse();
      case HEADER -> {
        if (lineLength == 0) {
          return headersDone();
        }
        header();
      }
      case CHUNK_SIZE -> {
        long size = chunkSize();
        if (size == 0) {
          state = State.TRAILER;
        } else {
          remaining = size;
          state = State.BODY;
        }
      }
      case CHUNK_END -> {
        if (lineLength != 0) {
          throw new MalformedResponse("missing CRLF after chunk");
        }
        state = State.CHUNK_SIZE;
      }
      case TRAILER -> {
        if (lineLength == 0) {
          return complete();
        }
      }
      default -> throw new IllegalStateException(state.name());
    }
    return false;
  }

  private void startResponse() throws MalformedResponse {
    // "HTTP/1.x NNN reason"
    if (lineLength < 12 || line[0] != 'H' || line[1] != 'T' || line[2] != 'T' || line[3] != 'P'
        || line[4] != '/' || line[5] != '1' || line[6] != '.' || line[8] != ' ') {
      throw new MalformedResponse("bad status line");
    }
    int code = 0;
    for (int i = 9; i < 12; i++) {
      int d = line[i] - '0';
      if (d < 0 || d > 9) {
        throw new MalformedResponse("bad status code");
      }
      code = code * 10 + d;
    }
    status = code;
    http10 = line[7] == '0';
    chunked = false;
    contentLength = -1;
    closeToken = false;
    keepAliveToken = false;
    servedBy = null;
    if (collectCookies) {
      cookies.clear();
    }
    state = State.HEADER;
  }

  private void header() throws MalformedResponse {
    int colon = indexOf((byte) ':', 0, lineLength);
    if (colon <= 0) {
      throw new MalformedResponse("bad header line");
    }
    int nameEnd = colon;
    while (nameEnd > 0 && isSpace(line[nameEnd - 1])) {
      nameEnd--;
    }
    int from = colon + 1;
    int to = lineLength;
    while (from < to && isSpace(line[from])) {
      from++;
    }
    while (to > from && isSpace(line[to - 1])) {
      to--;
    }
    if (nameIs(CONTENT_LENGTH, nameEnd)) {
      contentLength = digits(from, to);
    } else if (nameIs(TRANSFER_ENCODING, nameEnd)) {
      chunked |= containsToken("chunked", from, to);
    } else if (nameIs(CONNECTION, nameEnd)) {
      closeToken |= containsToken("close", from, to);
      keepAliveToken |= containsToken("keep-alive", from, to);
    } else if (nameIs(servedByName, nameEnd)) {
      servedBy = cachedString(from, to);
    } else if (collectCookies && nameIs(SET_COOKIE, nameEnd)) {
      cookies.add(new String(line, from, to - from, StandardCharsets.ISO_8859_1));
    }
  }

  private boolean headersDone() {
    keepAlive = http10 ? keepAliveToken && !closeToken : !closeToken;
    if (status >= 100 && status < 200 && status != 101) {
      state = State.STATUS; // an interim response; the real one follows
      return false;
    }
    if (head || status == 204 || status == 304 || status == 101) {
      if (status == 101) {
        keepAlive = false;
      }
      return complete();
    }
    if (chunked) {
      state = State.CHUNK_SIZE;
    } else if (contentLength >= 0) {
      if (contentLength == 0) {
        return complete();
      }
      remaining = contentLength;
      state = State.BODY;
    } else {
      state = State.UNTIL_CLOSE;
    }
    return false;
  }

  private boolean complete() {
    state = State.STATUS;
    lineLength = 0;
    return true;
  }

  /** Reads up to and including LF into {@code line} (without CR LF); false when no LF yet. */
  private boolean readLine(ByteBuf in) throws MalformedResponse {
    int start = in.readerIndex();
    int lf = in.indexOf(start, in.writerIndex(), (byte) '\n');
    int end = lf < 0 ? in.writerIndex() : lf;
    int n = end - start;
    if (lineLength + n > MAX_LINE) {
      throw new MalformedResponse("header line longer than " + MAX_LINE + " bytes");
    }
    if (lineLength + n > line.length) {
      line = Arrays.copyOf(line, Math.min(MAX_LINE, Math.max(line.length * 2, lineLength + n)));
    }
    in.getBytes(start, line, lineLength, n);
    lineLength += n;
    if (lf < 0) {
      in.readerIndex(end);
      return false;
    }
    in.readerIndex(lf + 1);
    if (lineLength > 0 && line[lineLength - 1] == '\r') {
      lineLength--;
    }
    return true;
  }

  /** The hex size at the start of a chunk-size line; extensions after it are ignored. */
  private long chunkSize() throws MalformedResponse {
    long size = 0;
    int i = 0;
    for (; i < lineLength; i++) {
      int d = Character.digit(line[i], 16);
      if (d < 0) {
        break;
      }
      if (size > (Long.MAX_VALUE >> 4)) {
        throw new MalformedResponse("chunk too large");
      }
      size = size * 16 + d;
    }
    if (i == 0) {
      throw new MalformedResponse("bad chunk size");
    }
    return size;
  }

  private long digits(int from, int to) throws MalformedResponse {
    if (from == to || to - from > 18) {
      throw new MalformedResponse("bad Content-Length");
    }
    long v = 0;
    for (int i = from; i < to; i++) {
      int d = line[i] - '0';
      if (d < 0 || d > 9) {
        throw new MalformedResponse("bad Content-Length");
      }
      v = v * 10 + d;
    }
    return v;
  }

  private boolean nameIs(byte[] lowerName, int nameEnd) {
    if (nameEnd != lowerName.length) {
      return false;
    }
    for (int i = 0; i < nameEnd; i++) {
      byte b = line[i];
      if (b >= 'A' && b <= 'Z') {
        b += 32;
      }
      if (b != lowerName[i]) {
        return false;
      }
    }
    return true;
  }

  private boolean containsToken(String token, int from, int to) {
    int n = token.length();
    for (int i = from; i + n <= to; i++) {
      boolean match = true;
      for (int j = 0; j < n && match; j++) {
        byte b = line[i + j];
        if (b >= 'A' && b <= 'Z') {
          b += 32;
        }
        match = b == token.charAt(j);
      }
      if (match) {
        return true;
      }
    }
    return false;
  }

  /** The value as a String, reusing an earlier instance when the bytes are the same. */
  private String cachedString(int from, int to) {
    int n = to - from;
    for (int c = 0; c < cached; c++) {
      byte[] v = cachedValues[c];
      if (v.length == n && Arrays.equals(v, 0, n, line, from, to)) {
        return cachedStrings[c];
      }
    }
    String s = new String(line, from, n, StandardCharsets.ISO_8859_1);
    if (cached < VALUE_CACHE) {
      cachedValues[cached] = Arrays.copyOfRange(line, from, to);
      cachedStrings[cached] = s;
      cached++;
    }
    return s;
  }

  private int indexOf(byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (line[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t';
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
