package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A response head as it arrived, line by line, with what the proxy needs to know of it (status,
 * framing, connection tokens) and which lines it must not forward (hop-by-hop headers). One
 * instance per connection, refilled for every response, so a head allocates nothing. Outside this
 * package it is read-only: status, persistence, the served-by value and any field's values.
 */
public final class ResponseHead {
  static final int MAX_BYTES = 64 * 1024;
  private static final byte[] CONTENT_LENGTH = ascii("content-length");
  private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
  private static final byte[] ETAG = ascii("etag");
  private static final byte[] ACCEPT_RANGES = ascii("accept-ranges");
  private static final byte[] CONNECTION = ascii("connection");
  private static final byte[] KEEP_ALIVE = ascii("keep-alive");
  private static final byte[] PROXY_CONNECTION = ascii("proxy-connection");
  private static final byte[] TE = ascii("te");
  private static final byte[] UPGRADE = ascii("upgrade");
  private static final byte[] PROXY_AUTHENTICATE = ascii("proxy-authenticate");
  private static final byte[] PROXY_AUTHORIZATION = ascii("proxy-authorization");

  /** The head's lines without their line ends, back to back; line 0 is the status line. */
  private byte[] bytes = new byte[512];
  private int length;
  private int[] start = new int[16];
  private int[] nameEnd = new int[16];
  private int[] valueStart = new int[16];
  private int[] end = new int[16];
  private boolean[] drop = new boolean[16];
  private int lines;
  private final byte[] servedByName;
  /** The line of the first served-by header, or 0 when there is none. */
  private int servedByLine;
  // Served-by values already seen, each with its String, so reading one allocates once per value.
  private static final int SERVED_BY_CACHE = 16;
  private byte[][] servedByBytes;
  private String[] servedByStrings;
  private int servedByCached;

  int status;
  boolean http10;
  /** The Content-Length, or -1 when there is none. */
  long contentLength;
  /** Chunked is the final transfer coding: the body is framed by its chunks. */
  boolean chunked;
  /**
   * A transfer coding other than chunked was applied (gzip, say): only an HTTP/1.1 client can be
   * told of it, and stc does not undo it. Without a final chunked, the body runs to the close.
   */
  boolean otherCodings;
  /** The body goes to the client gzip-encoded by stc ({@link #encodeGzip()}). */
  boolean gzip;
  /** The backend's strong ETag made weak for the encoded body, or null. */
  String weakEtag;
  boolean closeToken;
  boolean keepAliveToken;
  // Headers a Connection header names besides close and keep-alive (hop-by-hop too, RFC 9110
  // 7.6.1): where each name is in bytes. Rare, so the arrays start empty.
  private int[] namedFrom = new int[0];
  private int[] namedTo = new int[0];
  private int named;
  /** The line of the Keep-Alive header, or 0. */
  private int keepAliveLine;
  /**
   * The framing cannot be trusted: a Content-Length that is not a number or disagrees with an
   * earlier one, or a Transfer-Encoding that is not a list of codings or applies chunked other than
   * once and last.
   */
  private boolean badLength;

  /** @param servedByName the lower-case name of the header the proxy sets itself, or null */
  ResponseHead(byte[] servedByName) {
    this.servedByName = servedByName;
    clear();
  }

  void clear() {
    length = 0;
    lines = 0;
    status = 0;
    contentLength = -1;
    chunked = false;
    otherCodings = false;
    gzip = false;
    weakEtag = null;
    closeToken = false;
    keepAliveToken = false;
    named = 0;
    badLength = false;
    servedByLine = 0;
    keepAliveLine = 0;
  }

  /**
   * Parses a complete head, {@code src[from, to)} up to and including its empty line, copied in one
   * piece; false when it is malformed.
   */
  boolean parse(ByteBuf src, int from, int to) {
    clear();
    int n = to - from;
    if (n > bytes.length) {
      bytes = new byte[Math.max(bytes.length * 2, n)];
    }
    src.getBytes(from, bytes, 0, n);
    length = n;
    byte[] b = bytes;
    int pos = 0;
    while (pos < n) {
      int lf = pos;
      while (lf < n && b[lf] != '\n') {
        lf++;
      }
      int e = lf > pos && b[lf - 1] == '\r' ? lf - 1 : lf;
      if (e == pos) {
        return lines > 0 && finish();
      }
      if (lines == start.length) {
        grow();
      }
      int i = lines++;
      start[i] = pos;
      end[i] = e;
      drop[i] = false;
      if (!(i == 0 ? statusLine() : headerLine(i))) {
        return false;
      }
      pos = lf + 1;
    }
    return false;
  }

  private void grow() {
    int m = lines * 2;
    start = Arrays.copyOf(start, m);
    nameEnd = Arrays.copyOf(nameEnd, m);
    valueStart = Arrays.copyOf(valueStart, m);
    end = Arrays.copyOf(end, m);
    drop = Arrays.copyOf(drop, m);
    http2Names = Arrays.copyOf(http2Names, m);
    http2Values = Arrays.copyOf(http2Values, m);
  }

  /** Settles the framing and the lines named by Connection; false when the lengths disagree. */
  private boolean finish() {
    if (badLength) {
      return false; // unparseable or conflicting lengths: a smuggling vector, never guess
    }
    if (chunked && contentLength >= 0) {
      // Transfer-Encoding wins over Content-Length, which must then not travel on (RFC 9112 6.3).
      contentLength = -1;
      for (int i = 1; i < lines; i++) {
        if (nameEnd[i] - start[i] == CONTENT_LENGTH.length && is(i, CONTENT_LENGTH)) {
          drop[i] = true;
        }
      }
    }
    if (named > 0) {
      for (int i = 1; i < lines; i++) {
        if (!drop[i] && namedByConnection(i)) {
          drop[i] = true;
        }
      }
    }
    return true;
  }

  /**
   * Takes an HTTP/2 backend's response head, as the HTTP/1.1 head it stands for, so the client side
   * treats it like any other: the status line, then every field but pseudo-headers and the
   * connection-specific ones HTTP/2 forbids. The body has no framing of its own: a content-length
   * frames it, else the client side chunks it.
   */
  boolean parseHttp2(io.netty.handler.codec.http2.Http2Headers h) {
    CharSequence statusText = h.status();
    int code;
    try {
      code = statusText == null ? -1 : Integer.parseInt(statusText.toString());
    } catch (NumberFormatException e) {
      return false;
    }
    if (code < 100 || code > 999) {
      return false;
    }
    // The text goes into a buffer this head keeps (an HTTP/2 link's head serves response after
    // response), then is parsed as a backend's HTTP/1.1 head would be.
    ByteBuf t = http2Text;
    if (t == null) {
      t = http2Text = io.netty.buffer.Unpooled.buffer(256);
    }
    t.clear();
    HttpResponseStatus status = HttpResponseStatus.valueOf(code);
    t.writeCharSequence("HTTP/1.1 ", StandardCharsets.ISO_8859_1);
    t.writeCharSequence(status.codeAsText(), StandardCharsets.ISO_8859_1);
    t.writeByte(' ');
    t.writeCharSequence(status.reasonPhrase(), StandardCharsets.ISO_8859_1);
    t.writeShort(CRLF);
    for (java.util.Map.Entry<CharSequence, CharSequence> e : h) {
      CharSequence name = e.getKey();
      if (name.length() > 0 && name.charAt(0) == ':') {
        continue;
      }
      // HPACK carries any octets; a CR or LF in a field (RFC 9113 section 8.2.1 makes it malformed)
      // would end the line here and add a field of the backend's choosing to a client's response.
      if (!FieldGrammar.isToken(name) || !FieldGrammar.isValue(e.getValue())) {
        return false;
      }
      t.writeCharSequence(name, StandardCharsets.ISO_8859_1);
      t.writeByte(':').writeByte(' ');
      t.writeCharSequence(e.getValue(), StandardCharsets.ISO_8859_1);
      t.writeShort(CRLF);
    }
    t.writeShort(CRLF);
    return parse(t, 0, t.writerIndex()) && !chunked;
  }

  /** The text of the last HTTP/2 head taken ({@link #parseHttp2}); made on first use. */
  private ByteBuf http2Text;

  /** The value of the first field of this lower-case name, or null. */
  String value(String lowerName) {
    for (int i = 1; i < lines; i++) {
      if (equalsIgnoreCase(start[i], nameEnd[i], lowerName)) {
        return string(valueStart[i], end[i]);
      }
    }
    return null;
  }

  /** Stops forwarding Transfer-Encoding, for a client that gets the body de-chunked. */
  void dropTransferEncoding() {
    for (int i = 1; i < lines; i++) {
      if (is(i, TRANSFER_ENCODING)) {
        drop[i] = true;
      }
    }
  }

  /**
   * The body goes to the client gzip-encoded: its length and framing lines stay behind (stc
   * frames the encoded body anew), and a strong ETag turns weak, as the bytes are no longer the
   * backend's (RFC 9110 8.8.1), and Accept-Ranges goes, as ranges of the encoded body are not
   * served (nginx does both). The reader has already taken the framing.
   */
  void encodeGzip() {
    for (int i = 1; i < lines; i++) {
      if (is(i, CONTENT_LENGTH) || is(i, TRANSFER_ENCODING) || is(i, ACCEPT_RANGES)) {
        drop[i] = true;
      } else if (is(i, ETAG) && weakEtag == null) {
        String v = string(valueStart[i], end[i]);
        drop[i] = true;
        weakEtag = v.startsWith("W/") ? v : "W/" + v;
      }
    }
    gzip = true;
    contentLength = -1;
    chunked = false;
  }

  /** Stops forwarding every field of these lower-case names ({@code headers.response}: removed or replaced). */
  void dropNamed(byte[][] lowerNames) {
    for (int i = 1; i < lines; i++) {
      for (byte[] name : lowerNames) {
        if (is(i, name)) {
          drop[i] = true;
        }
      }
    }
  }

  /** About how many bytes the forwarded head takes. */
  int approximateSize() {
    return length + 2 * lines + 2;
  }

  /** The status code. */
  public int status() {
    return status;
  }

  /**
   * The value of the served-by header named at construction, or null: one String per distinct
   * value (up to a few), reused for every later response that carries the same bytes.
   */
  public String servedBy() {
    int i = servedByLine;
    if (i == 0) {
      return null;
    }
    int from = valueStart[i];
    int to = end[i];
    if (servedByBytes == null) {
      servedByBytes = new byte[SERVED_BY_CACHE][];
      servedByStrings = new String[SERVED_BY_CACHE];
    }
    for (int c = 0; c < servedByCached; c++) {
      byte[] v = servedByBytes[c];
      if (Arrays.equals(v, 0, v.length, bytes, from, to)) {
        return servedByStrings[c];
      }
    }
    String s = string(from, to);
    if (servedByCached < SERVED_BY_CACHE) {
      servedByBytes[servedByCached] = Arrays.copyOfRange(bytes, from, to);
      servedByStrings[servedByCached++] = s;
    }
    return s;
  }

  /** Passes the value of every field of this lower-case name to {@code action}, in order. */
  public void forEachValue(String lowerName, Consumer<String> action) {
    for (int i = 1; i < lines; i++) {
      if (equalsIgnoreCase(start[i], nameEnd[i], lowerName)) {
        action.accept(string(valueStart[i], end[i]));
      }
    }
  }

  /**
   * How long, in seconds, the backend says it keeps the connection open while idle: the
   * {@code timeout} parameter of its Keep-Alive header (RFC 2068 19.7.1.1), which Node's and Apache's
   * servers send with every response; -1 when it says nothing (or nothing readable).
   */
  long keepAliveTimeoutSeconds() {
    if (keepAliveLine == 0) {
      return -1;
    }
    byte[] b = bytes;
    int to = end[keepAliveLine];
    int i = valueStart[keepAliveLine];
    while (i < to) {
      while (i < to && (b[i] == ',' || b[i] == ' ' || b[i] == '\t')) {
        i++;
      }
      int name = i;
      while (i < to && b[i] != '=' && b[i] != ',' && b[i] != ' ' && b[i] != '\t') {
        i++;
      }
      int nameEnd = i;
      while (i < to && (b[i] == ' ' || b[i] == '\t')) {
        i++;
      }
      if (i < to && b[i] == '=' && equalsIgnoreCase(name, nameEnd, "timeout")) {
        i++;
        while (i < to && (b[i] == ' ' || b[i] == '\t')) {
          i++;
        }
        long seconds = 0;
        int digits = 0;
        while (i < to && b[i] >= '0' && b[i] <= '9' && digits < 9) {
          seconds = seconds * 10 + (b[i++] - '0');
          digits++;
        }
        return digits > 0 && (i == to || b[i] == ',' || b[i] == ' ' || b[i] == '\t') ? seconds : -1;
      }
      while (i < to && b[i] != ',') {
        i++;
      }
    }
    return -1;
  }

  /** Whether the response says the connection stays open after it. */
  public boolean keepAlive() {
    return http10 ? keepAliveToken && !closeToken : !closeToken;
  }

  /** Writes the status line and every forwarded header line, each with CRLF. */
  void writeKept(ByteBuf out) {
    for (int i = 0; i < lines; i++) {
      if (!drop[i]) {
        out.writeBytes(bytes, start[i], end[i] - start[i]).writeShort(CRLF);
      }
    }
  }

  /** Writes the status line and every header line as received, hop-by-hop ones too (for a 101). */
  void writeAll(ByteBuf out) {
    for (int i = 0; i < lines; i++) {
      out.writeBytes(bytes, start[i], end[i] - start[i]).writeShort(CRLF);
    }
  }

  /**
   * The forwarded part of the head as HTTP/2 response fields, name then value: every forwarded
   * field but Transfer-Encoding (HTTP/2 frames the body itself), names in lower case as HTTP/2
   * requires, and {@code room} empty pairs at the end for the caller's own fields. With {@link
   * #http2Status()} it makes the HEADERS frame's fields.
   */
  AsciiString[] http2Fields(int room) {
    int n = 0;
    for (int i = 1; i < lines; i++) {
      if (forwardedToHttp2(i)) {
        n++;
      }
    }
    AsciiString[] f = new AsciiString[2 * (n + room)];
    int k = 0;
    for (int i = 1; i < lines; i++) {
      if (forwardedToHttp2(i)) {
        f[k++] = http2Name(i);
        f[k++] = http2Value(i);
      }
    }
    return f;
  }

  /** The status as HTTP/2's {@code :status} value. */
  AsciiString http2Status() {
    return HttpResponseStatus.valueOf(status).codeAsText();
  }

  private boolean forwardedToHttp2(int i) {
    return !drop[i] && !(nameEnd[i] - start[i] == TRANSFER_ENCODING.length && is(i, TRANSFER_ENCODING));
  }

  // The previous response's HTTP/2 names and values on this connection, by line: a backend sends
  // much the same head every time (Date changes once a second), so most fields convert without
  // garbage. Shared freely: an AsciiString made here is never changed.
  private AsciiString[] http2Names = new AsciiString[16];
  private AsciiString[] http2Values = new AsciiString[16];

  private AsciiString http2Name(int i) {
    int s = start[i];
    int n = nameEnd[i] - s;
    AsciiString last = http2Names[i];
    if (last != null && last.length() == n && is(i, last.array(), last.arrayOffset())) {
      return last;
    }
    byte[] name = new byte[n];
    for (int j = 0; j < n; j++) {
      name[j] = lower(bytes[s + j]);
    }
    return http2Names[i] = new AsciiString(name, false);
  }

  private AsciiString http2Value(int i) {
    int v = valueStart[i];
    int n = end[i] - v;
    AsciiString last = http2Values[i];
    if (last != null && last.length() == n
        && Arrays.equals(last.array(), last.arrayOffset(), last.arrayOffset() + n, bytes, v, v + n)) {
      return last;
    }
    return http2Values[i] = new AsciiString(bytes, v, n, true);
  }

  static final short CRLF = ('\r' << 8) | '\n';

  private boolean statusLine() {
    // "HTTP/1.x NNN[ reason]"
    int s = start[0];
    int n = end[0] - s;
    byte[] b = bytes;
    if (n < 12 || b[s] != 'H' || b[s + 1] != 'T' || b[s + 2] != 'T' || b[s + 3] != 'P' || b[s + 4] != '/'
        || b[s + 5] != '1' || b[s + 6] != '.' || (b[s + 7] != '0' && b[s + 7] != '1') || b[s + 8] != ' '
        || (n > 12 && b[s + 12] != ' ')) {
      return false;
    }
    int code = 0;
    for (int i = s + 9; i < s + 12; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) {
        return false;
      }
      code = code * 10 + d;
    }
    if (code < 100) {
      return false;
    }
    status = code;
    http10 = b[s + 7] == '0';
    return true;
  }

  private boolean headerLine(int i) {
    int s = start[i];
    int e = end[i];
    byte[] b = bytes;
    int colon = -1;
    for (int j = s; j < e; j++) {
      byte c = b[j];
      if (c == ':') {
        colon = j;
        break;
      }
      if (!FieldGrammar.isTchar(c)) {
        return false; // folded lines, spaces before the colon, controls, separators: reject rather than guess
      }
    }
    if (colon <= s) {
      return false;
    }
    nameEnd[i] = colon;
    int v = colon + 1;
    while (v < e && (b[v] == ' ' || b[v] == '\t')) {
      v++;
    }
    int ve = e;
    while (ve > v && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) {
      ve--;
    }
    for (int j = v; j < ve; j++) {
      if (!FieldGrammar.isFieldValue(b[j])) {
        return false; // a CR, a NUL or another control would split or cut the head it is forwarded in
      }
    }
    valueStart[i] = v;
    end[i] = ve; // trailing blanks are not forwarded
    // Only names as long as one the proxy cares about are compared at all.
    switch (colon - s) {
      case 14 -> {
        if (is(i, CONTENT_LENGTH)) {
          long declared = number(v, ve);
          badLength |= declared < 0 || (contentLength >= 0 && declared != contentLength);
          contentLength = declared;
        }
      }
      case 17 -> {
        if (is(i, TRANSFER_ENCODING)) {
          transferCodings(v, ve);
        }
      }
      case 16 -> drop[i] = is(i, PROXY_CONNECTION);
      case 10 -> {
        if (is(i, CONNECTION)) {
          drop[i] = true;
          scanConnection(v, ve);
        } else if (is(i, KEEP_ALIVE)) {
          drop[i] = true;
          keepAliveLine = i;
        }
      }
      case 2 -> drop[i] = is(i, TE);
      // Trailer is end to end (RFC 9110 6.6.2): it announces the trailers, which travel on.
      case 7 -> drop[i] = is(i, UPGRADE);
      case 18 -> drop[i] = is(i, PROXY_AUTHENTICATE);
      case 19 -> drop[i] = is(i, PROXY_AUTHORIZATION);
      default -> { }
    }
    if (servedByName != null && colon - s == servedByName.length && is(i, servedByName)) {
      drop[i] = true; // the proxy names the backend itself
      if (servedByLine == 0) {
        servedByLine = i;
      }
    }
    return true;
  }

  private void scanConnection(int from, int to) {
    int i = from;
    while (i < to) {
      while (i < to && (bytes[i] == ',' || bytes[i] == ' ' || bytes[i] == '\t')) {
        i++;
      }
      int t = i;
      while (i < to && bytes[i] != ',' && bytes[i] != ' ' && bytes[i] != '\t') {
        i++;
      }
      if (i == t) {
        continue;
      }
      if (equalsIgnoreCase(t, i, "close")) {
        closeToken = true;
      } else if (equalsIgnoreCase(t, i, "keep-alive")) {
        keepAliveToken = true;
      } else {
        if (named == namedFrom.length) {
          namedFrom = Arrays.copyOf(namedFrom, named + 4);
          namedTo = Arrays.copyOf(namedTo, named + 4);
        }
        namedFrom[named] = t;
        namedTo[named++] = i;
      }
    }
  }

  /** Whether line {@code i}'s header is named by a Connection header. */
  private boolean namedByConnection(int i) {
    int n = nameEnd[i] - start[i];
    for (int k = 0; k < named; k++) {
      if (namedTo[k] - namedFrom[k] == n && regionEqualsIgnoreCase(namedFrom[k], start[i], n)) {
        return true;
      }
    }
    return false;
  }

  private boolean is(int line, byte[] lowerName) {
    return nameEnd[line] - start[line] == lowerName.length && is(line, lowerName, 0);
  }

  /** Whether the line's name, lower-cased, is the {@code nameEnd - start} bytes of {@code lowerName} from {@code from}. */
  private boolean is(int line, byte[] lowerName, int from) {
    int s = start[line];
    int n = nameEnd[line] - s;
    for (int j = 0; j < n; j++) {
      if (lower(bytes[s + j]) != lowerName[from + j]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reads one Transfer-Encoding line's codings, which follow those of earlier lines (RFC 9110
   * 5.3). Anything after a chunked, a second chunked included, makes the framing untrustworthy
   * (RFC 9112 6.1), as does a value that is not a comma-separated list of tokens.
   */
  private void transferCodings(int v, int ve) {
    int codings = TransferCodings.read(bytes, v, ve);
    if (chunked || (codings & (TransferCodings.INVALID | TransferCodings.CHUNKED_EARLIER)) != 0) {
      badLength = true;
      return;
    }
    chunked = (codings & TransferCodings.CHUNKED_LAST) != 0;
    otherCodings |= (codings & TransferCodings.OTHER) != 0;
  }

  private boolean equalsIgnoreCase(int from, int to, String lower) {
    if (to - from != lower.length()) {
      return false;
    }
    for (int j = 0; j < lower.length(); j++) {
      if (lower(bytes[from + j]) != lower.charAt(j)) {
        return false;
      }
    }
    return true;
  }

  private boolean regionEqualsIgnoreCase(int a, int b, int n) {
    for (int j = 0; j < n; j++) {
      if (lower(bytes[a + j]) != lower(bytes[b + j])) {
        return false;
      }
    }
    return true;
  }

  private long number(int from, int to) {
    if (from == to || to - from > 18) {
      return -1;
    }
    long v = 0;
    for (int i = from; i < to; i++) {
      int d = bytes[i] - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      v = v * 10 + d;
    }
    return v;
  }

  private String string(int from, int to) {
    return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
  }

  private static byte lower(byte b) {
    return b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
