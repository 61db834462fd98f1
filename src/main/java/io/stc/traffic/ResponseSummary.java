package io.stc.traffic;

import io.netty.buffer.ByteBuf;
import io.stc.proxy.ResponseHead;
import io.stc.proxy.ResponseReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * What a load test keeps of each response on one connection, read by the proxy's own
 * {@link ResponseReader} so both sides frame HTTP/1.1 alike: the status, the served-by value,
 * whether the connection stays open, and Set-Cookie values on request. Bodies are skipped where
 * they lie; a response in steady state allocates nothing.
 */
final class ResponseSummary implements ResponseReader.Sink {
  /** Where the response asked for stands after a read. */
  enum Progress { MORE, DONE, MALFORMED }

  private final ResponseReader reader;
  private final boolean headRequests;
  private final boolean collectCookies;
  private final List<String> cookies;
  private final Consumer<String> addCookie;
  private int status;
  private String servedBy;
  private boolean keepAlive;
  private boolean ended;
  private boolean malformed;

  /**
   * @param headRequests the requests are HEAD, so responses carry no body whatever their headers say
   * @param servedByHeader name of the header whose value {@link #servedBy()} returns
   */
  ResponseSummary(boolean headRequests, String servedByHeader, boolean collectCookies) {
    this.reader = new ResponseReader(servedByHeader.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.ISO_8859_1));
    this.headRequests = headRequests;
    this.collectCookies = collectCookies;
    this.cookies = collectCookies ? new ArrayList<>(2) : List.of();
    this.addCookie = collectCookies ? cookies::add : null;
  }

  /** Forgets any partial response, for a new connection. */
  void reset() {
    reader.reset();
  }

  /** Sets up for the response to the request about to be sent. */
  void expect() {
    reader.expectDiscarding(headRequests);
    ended = false;
    malformed = false;
  }

  /** Consumes all of {@code in}: whether that completed the response, needs more, or broke it. */
  Progress read(ByteBuf in) {
    reader.read(in, this);
    return malformed ? Progress.MALFORMED : ended ? Progress.DONE : Progress.MORE;
  }

  /** The connection closed: true when that ends a response delimited by the close. */
  boolean closed() {
    if (ended || malformed) {
      return false;
    }
    reader.closed(this);
    if (ended) {
      keepAlive = false;
    }
    return ended;
  }

  /** Status code of the last complete response. */
  int status() {
    return status;
  }

  /** Served-by header value of the last complete response, or null. */
  String servedBy() {
    return servedBy;
  }

  /**
   * Whether the connection may carry another request after the last complete response: the
   * response says so, and nothing the request did not ask for followed it.
   */
  boolean keepAlive() {
    return keepAlive && !reader.hasLeftover();
  }

  /** Set-Cookie values of the last complete response (when collecting). */
  List<String> cookies() {
    return cookies;
  }

  @Override
  public void onResponseHead(ResponseHead head) {
    int code = head.status();
    if (code < 200 && code != 101) {
      return; // interim (100 Continue and the like): the real response follows
    }
    status = code;
    servedBy = head.servedBy();
    // After a 101 the connection speaks something else: it ends the exchange and the connection.
    keepAlive = code != 101 && head.keepAlive();
    if (collectCookies) {
      cookies.clear();
      head.forEachValue("set-cookie", addCookie);
    }
    if (code == 101) {
      ended = true;
    }
  }

  @Override
  public void onResponseBody(ByteBuf piece) {
    piece.release(); // not reached: the reader skips bodies it was told to discard
  }

  @Override
  public void onResponseBody(ByteBuf in, int length) {
    in.skipBytes(length);
  }

  @Override
  public void onResponseEnd() {
    ended = true;
  }

  @Override
  public void onTunnelBytes(ByteBuf bytes) {
    bytes.release();
  }

  @Override
  public void onBadResponse() {
    malformed = true;
  }
}
