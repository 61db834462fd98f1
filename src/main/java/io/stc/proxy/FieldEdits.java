package io.stc.proxy;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;
import io.stc.config.StcConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fields {@code headers} sets on each request to a backend and each response to a client, and
 * those it removes, ready for both protocols: a field that is set replaces every one of its name.
 */
final class FieldEdits {
  /** Lower-case names of the client's request fields that do not go on (removed or replaced). */
  private final AsciiString[] requestDropped;
  private final AsciiString[] requestSetNames;
  private final AsciiString[] requestSetValues;
  /** Lower-case names of the backend's response fields that do not go on. */
  private final byte[][] responseDropped;
  /** The set response fields as HTTP/1.1 lines, CRLF after each. */
  private final byte[] responseLines;
  /** The same as HTTP/2 fields: lower-case names and their values. */
  private final AsciiString[] responseSetNames;
  private final AsciiString[] responseSetValues;
  private final List<String> responseRemove;
  private final Map<String, String> responseSet;

  private FieldEdits(StcConfig.HeaderEdits c) {
    List<AsciiString> dropped = new ArrayList<>();
    c.requestRemove().forEach(n -> dropped.add(AsciiString.of(n).toLowerCase()));
    c.requestSet().keySet().forEach(n -> dropped.add(AsciiString.of(n).toLowerCase()));
    requestDropped = dropped.toArray(AsciiString[]::new);
    requestSetNames = c.requestSet().keySet().stream().map(AsciiString::of).toArray(AsciiString[]::new);
    requestSetValues = c.requestSet().values().stream().map(AsciiString::of).toArray(AsciiString[]::new);
    List<byte[]> responseNames = new ArrayList<>();
    c.responseRemove().forEach(n -> responseNames.add(ResponseHead.ascii(n.toLowerCase(java.util.Locale.ROOT))));
    c.responseSet().keySet().forEach(n -> responseNames.add(ResponseHead.ascii(n.toLowerCase(java.util.Locale.ROOT))));
    responseDropped = responseNames.toArray(byte[][]::new);
    StringBuilder lines = new StringBuilder();
    c.responseSet().forEach((n, v) -> lines.append(n).append(": ").append(v).append("\r\n"));
    responseLines = lines.toString().getBytes(StandardCharsets.ISO_8859_1);
    responseSetNames = c.responseSet().keySet().stream().map(n -> AsciiString.of(n).toLowerCase()).toArray(AsciiString[]::new);
    responseSetValues = c.responseSet().values().stream().map(AsciiString::of).toArray(AsciiString[]::new);
    responseRemove = c.responseRemove();
    responseSet = c.responseSet();
  }

  /** The edits, or null when {@code headers} asks for none (the hot path then checks nothing). */
  static FieldEdits of(StcConfig.HeaderEdits c) {
    boolean none = c.requestSet().isEmpty() && c.requestRemove().isEmpty() && c.responseSet().isEmpty() && c.responseRemove().isEmpty();
    return none ? null : new FieldEdits(c);
  }

  /**
   * Whether a client's request field of this name stays behind: also when written with
   * underscores for dashes, which a CGI-style backend reads as the same field.
   */
  boolean dropsRequestField(CharSequence name) {
    for (AsciiString d : requestDropped) {
      if (d.length() == name.length()
          && (d.contentEqualsIgnoreCase(name) || FieldGrammar.isUnderscoreForm(name, d.toString()))) {
        return true;
      }
    }
    return false;
  }

  /** Gives the set request fields to {@code sink}. */
  void addRequestFields(ForwardedFields.Sink sink) {
    for (int i = 0; i < requestSetNames.length; i++) {
      sink.field(requestSetNames[i], requestSetValues[i]);
    }
  }

  /** Marks the backend's response fields that do not go on. */
  void dropResponseFields(ResponseHead head) {
    if (responseDropped.length > 0) {
      head.dropNamed(responseDropped);
    }
  }

  byte[] responseLines() {
    return responseLines;
  }

  int responseFieldCount() {
    return responseSetNames.length;
  }

  /** Puts the set response fields into {@code f} from {@code k} on (name, value, ...); returns the next free place. */
  int addResponseFields(AsciiString[] f, int k) {
    for (int i = 0; i < responseSetNames.length; i++) {
      f[k++] = responseSetNames[i];
      f[k++] = responseSetValues[i];
    }
    return k;
  }

  /** Edits one of stc's own answers as a backend's response would be. */
  void edit(HttpResponse r) {
    responseRemove.forEach(n -> r.headers().remove(n));
    responseSet.forEach((n, v) -> r.headers().set(n, v));
  }
}
