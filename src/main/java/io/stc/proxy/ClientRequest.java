package io.stc.proxy;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.netty.util.AsciiString;
import io.stc.balance.Request;

/**
 * The request as the client sent it: its head, its body on the way in, and what stc made of them on
 * arrival. It is what a backend link writes out, and what balancers, rate limiters and sticky
 * sessions may ask about ({@link Request}). An exchange reuses one for each of its requests.
 */
final class ClientRequest implements Request, ForwardedRequest {
  /** Stands in for a request that could not be parsed, so the exchange's bookkeeping stays uniform. */
  private static final HttpRequest MALFORMED = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");

  private final ClientConnection client;
  /** The request's trace: the backend's traceparent comes from it. */
  private final RequestTrace trace;
  final RequestBody body = new RequestBody();
  /** The request's head, or null while no request is in progress. */
  HttpRequest head;
  /** Who sent it: the peer, or the client a trusted proxy named. */
  private String clientIp;
  /** The scheme the client used: this listener's, or what a trusted proxy said (X-Forwarded-Proto). */
  private String scheme;
  /** The host the client asked for as a trusted proxy said it (X-Forwarded-Host), or null. */
  private String forwardedHost;
  /** The request's ID (the client's own, or a new one), or null when stc sets none. */
  private String requestId;
  /** How the current request got its ID: by its settings. */
  private RequestIds ids;
  /** What {@code headers.request} sets and removes for the current request, by its settings. */
  private FieldEdits edits;
  /** The HTTP version the client speaks (HTTP/1.1 for an HTTP/2 stream, as its head is converted). */
  HttpVersion version;
  /** The client has sent the whole request: anything more it sends is the next request. */
  boolean received;
  /** The request asks to switch to WebSocket; its Upgrade and Connection headers go through. */
  boolean upgradeRequested;
  /** The proxy answered the client's 100-continue itself (while buffering), so Expect stays here. */
  boolean answeredExpect;

  ClientRequest(ClientConnection client, RequestTrace trace) {
    this.client = client;
    this.trace = trace;
  }

  /**
   * A request's head arrived; its body, if it has one, follows.
   *
   * @param settings the settings it goes by ({@link ClientConnection#requestSettings()})
   */
  void start(HttpRequest head, ProxySettings settings) {
    this.head = head;
    this.ids = settings.requestIds();
    this.edits = settings.edits();
    if (client.trustedPeer) {
      HttpHeaders h = head.headers();
      clientIp = settings.trustedProxies().clientBehind(client.clientIp, h);
      scheme = settings.trustedProxies().forwardedProto(h, client.scheme);
      forwardedHost = settings.trustedProxies().forwardedHost(h);
    } else {
      clientIp = client.clientIp;
      scheme = client.scheme;
      forwardedHost = null;
    }
    requestId = ids.idFor(head.headers(), client.trustedPeer);
    version = head.protocolVersion();
    received = hasNoBody();
    answeredExpect = false;
  }

  /** A request could not be parsed: a stand-in takes its place, of which nothing more is to come. */
  void startMalformed() {
    clientIp = client.clientIp;
    scheme = client.scheme;
    forwardedHost = null;
    ids = client.requestSettings().requestIds();
    requestId = ids.generateIfOn();
    version = HttpVersion.HTTP_1_1;
    received = false;
    head = MALFORMED;
  }

  /** Whether the head is the stand-in for one that could not be parsed. */
  boolean isMalformed() {
    return head == MALFORMED;
  }

  /**
   * Sets the body up as the head declares it, kept for a replay whatever the method (a request a
   * backend refused unprocessed may go again). True when it is read whole before a backend is
   * picked: {@code readWholeFirst} allows it, and it is chunked or declared within {@code bufferLimit}.
   */
  boolean startBody(int bufferLimit, boolean readWholeFirst) {
    boolean chunked = HttpUtil.isTransferEncodingChunked(head);
    long declared = chunked ? -1 : HttpUtil.getContentLength(head, -1L);
    body.start(true, chunked, declared, bufferLimit);
    return readWholeFirst && bufferLimit > 0 && (chunked || (declared >= 0 && declared <= bufferLimit));
  }

  /** Whether the client waits for a 100 Continue before it sends the body (HTTP/1.1, on a connection of its own). */
  boolean expectsContinue() {
    return !client.http2Stream && version == HttpVersion.HTTP_1_1 && HttpUtil.is100ContinueExpected(head);
  }

  /** Whether the head is all of the request (the decoders give such a request as a FullHttpRequest). */
  boolean hasNoBody() {
    return head instanceof LastHttpContent;
  }

  /** Whether the method is HEAD: whatever its response's headers say, no body follows them. */
  boolean isHeadMethod() {
    return head.method() == HttpMethod.HEAD;
  }

  /**
   * Whether a chunked response body goes to the client with its chunk framing: the client speaks
   * HTTP/1.1 on a connection of its own. Other clients get the data, framed anew.
   */
  boolean relaysFraming() {
    return !client.http2Stream && version == HttpVersion.HTTP_1_1;
  }

  /**
   * Whether the response's body is in a transfer coding stc does not undo (gzip, say) while the
   * client cannot be told of it: HTTP/2 has no transfer codings, HTTP/1.0 none but the close
   * (RFC 9112 6.1).
   */
  boolean cannotRelayCoding(ResponseHead response) {
    int code = response.status;
    return response.otherCodings && (client.http2Stream || version == HttpVersion.HTTP_1_0)
        && !isHeadMethod() && code != 204 && code != 304;
  }

  @Override
  public HttpRequest head() {
    return head;
  }

  @Override
  public String scheme() {
    return scheme;
  }

  @Override
  public String forwardedHost() {
    return forwardedHost;
  }

  @Override
  public String clientCert() {
    return client.clientCert;
  }

  @Override
  public AsciiString requestIdName() {
    return ids.name();
  }

  @Override
  public String requestId() {
    return requestId;
  }

  @Override
  public RequestTrace trace() {
    return trace.forwarded() == null ? null : trace;
  }

  @Override
  public boolean answeredExpect() {
    return answeredExpect;
  }

  @Override
  public FieldEdits edits() {
    return edits;
  }

  @Override
  public boolean fromTrustedProxy() {
    return client.trustedPeer;
  }

  @Override
  public boolean upgradeRequested() {
    return upgradeRequested;
  }

  boolean fromHttp2() {
    return client.http2Stream;
  }

  /** The client's address: the peer, or the client a trusted proxy named (limits, hashing and the log key on it). */
  @Override
  public String clientIp() {
    return clientIp;
  }

  @Override
  public String peerIp() {
    return client.clientIp;
  }

  @Override
  public String header(String name) {
    return head == null ? null : head.headers().get(name);
  }

  @Override
  public String cookie(String name) {
    if (head == null) {
      return null;
    }
    for (String header : head.headers().getAll(HttpHeaderNames.COOKIE)) {
      for (Cookie c : ServerCookieDecoder.LAX.decode(header)) {
        if (c.name().equals(name)) {
          return c.value();
        }
      }
    }
    return null;
  }
}
