package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.stc.pool.Backend;
import java.util.Map;

/**
 * One stream of a multiplexed HTTP/2 connection to a backend: the request goes as HEADERS, DATA
 * and trailing HEADERS frames; the response comes back the same way (from {@link Http2BackendStreams})
 * and is handed to the exchange as a head, body pieces and trailers. Flow control does the
 * back-pressure: while its exchange does not read, the stream's DATA is not given back to the
 * backend's window, so the backend stops sending.
 */
final class Http2Link extends BackendLink implements Http2StreamsHandler.StreamReader {
  /** The connection the stream is (to be) on; a link waiting for one may move to another. */
  Http2BackendConnection connection;
  /** The link counts against its connection's streams (until {@link Http2BackendConnection#freeSlot}). */
  boolean holdsSlot;
  /** The link got frames in its connection's current read (it hears when the read ends). */
  boolean inRead;
  /** The response's head as it is parsed; back to the connection once the link is done (then null). */
  private ResponseHead head;
  private final String backendScheme;
  private Http2BackendStreams streams;
  /** The stream, once its HEADERS were written; null before, or when it never opened. */
  private Http2Stream stream;
  private boolean responded;
  private boolean ended;
  /** The backend's last frame so far ended its side of the stream. */
  private boolean remoteEnded;
  private boolean refused;
  /** What the backend sent broke the protocol (stc resets the stream): a bad response, not a lost backend. */
  private boolean malformed;
  /** The request's head was never written (the connection was going away): nothing else goes. */
  private boolean unsent;
  /** Whether the exchange takes the response on now; while not, DATA is kept from the backend's window. */
  private boolean reading = true;
  /** DATA bytes passed on while the exchange was not reading: given back once it reads again. */
  private int unconsumed;
  private HttpHeaders trailers;
  /** The request is a HEAD: its response has no body whatever its head says. */
  private boolean headRequest;
  /** How long the response's body is by its head (0 for HEAD, 204 and 304), or -1 when it does not say. */
  private long declaredLength = -1;
  /** Response body bytes received so far. */
  private long bodyBytes;
  /** The backend reset the stream. */
  private boolean resetByBackend;
  /** Should the HEADERS not go out (the connection closing), the backend never saw the request. */
  private final ChannelFutureListener headWritten = f -> {
    if (!f.isSuccess()) {
      refused = true;
    }
  };

  Http2Link(Backend backend, LoopContext loop, Http2BackendConnection connection, byte[] servedByName, String backendScheme) {
    super(backend, loop);
    this.connection = connection;
    this.head = connection.head(servedByName);
    this.backendScheme = backendScheme;
  }

  /** Opens the stream (now, or when the connection is up); its owner hears {@link UpstreamRequest#linkReady}. */
  void open() {
    connection.start(this);
  }

  /** The connection has room for the stream: the link is ready for its exchange, and the stream opens with its head. */
  void opened(Http2BackendStreams streams, Channel connectionChannel) {
    this.streams = streams;
    this.channel = connectionChannel;
  }

  @Override
  void writeHead(ClientRequest r) {
    headRequest = r.isHeadMethod();
    declaredLength = -1;
    bodyBytes = 0;
    if (!connection.goingAway()) {
      Http2Headers headers = Http2RequestHeaders.of(r, backendScheme, backend);
      // A request without a body ends with its head.
      stream = streams.open(this, headers, r.hasNoBody(), headWritten);
      if (stream != null) {
        return;
      }
    }
    // A new stream after the backend's GOAWAY would be a protocol error that takes the whole
    // connection, in-flight streams and all, down. This one never starts: it goes elsewhere, once
    // the exchange is done writing what it thinks went out.
    refused = true;
    unsent = true;
    channel.eventLoop().execute(this::neverOpened);
  }

  private void neverOpened() {
    connection.freeSlot(this);
    UpstreamRequest o = owner;
    if (o != null) {
      owner = null;
      o.onBackendClosed(this);
    }
  }

  @Override
  void writeBody(HttpContent content) {
    if (unsent || stream == null) {
      content.release();
      return;
    }
    boolean last = content instanceof LastHttpContent;
    HttpHeaders t = last ? ((LastHttpContent) content).trailingHeaders() : null;
    boolean trailersFollow = t != null && !t.isEmpty();
    ByteBuf data = content.content();
    if (data.isReadable() || (last && !trailersFollow)) {
      streams.writeData(stream, data, last && !trailersFollow);
    } else {
      content.release();
    }
    if (trailersFollow) {
      streams.writeHeaders(stream, HttpConversionUtil.toHttp2Headers(t, false), true);
    }
  }

  @Override
  void expect(boolean headRequest, boolean keepFraming) {
    // A response's end is the stream's: nothing to set up.
  }

  @Override
  HttpHeaders trailers() {
    return trailers;
  }

  @Override
  void release(boolean backendKeepsAlive) {
    // A stream serves one exchange; the connection stays for others.
    owner = null;
    recycleHead();
    if (stream == null) {
      connection.freeSlot(this);
    } else if (!resetByBackend && !(remoteEnded && stream.state() == Http2Stream.State.HALF_CLOSED_LOCAL)) {
      // The request is not all sent (the backend answered early): the backend need not wait for it.
      // A stream that ended both ways closes by itself; its slot frees when it does.
      streams.reset(stream, Http2Error.CANCEL);
    }
  }

  @Override
  boolean refusedUnprocessed() {
    return refused;
  }

  @Override
  boolean isHttp2() {
    return true;
  }

  @Override
  void close() {
    owner = null;
    recycleHead();
    if (stream != null) {
      // RST_STREAM(CANCEL) for a stream still open: the backend stops working on it. The slot
      // frees when Netty closes the stream, so the backend's limit is never overrun meanwhile.
      streams.reset(stream, Http2Error.CANCEL);
    } else {
      connection.cancel(this);
      connection.freeSlot(this);
    }
  }

  @Override
  void flush() {
    streams.flush();
  }

  @Override
  boolean isWritable() {
    return stream == null || streams.isWritable(stream);
  }

  @Override
  void reading(boolean on) {
    if (reading == on) {
      return;
    }
    reading = on;
    if (on && unconsumed > 0 && stream != null) {
      int n = unconsumed;
      unconsumed = 0;
      streams.consume(stream, n);
      streams.flush();
    }
  }

  /** No frame reaches the exchange any more (it has no owner): the head can serve another link. */
  private void recycleHead() {
    ResponseHead h = head;
    if (h != null) {
      head = null;
      connection.recycle(h);
    }
  }

  /** The backend's connection could not be opened, or closed before this stream opened. */
  void failedToOpen() {
    UpstreamRequest o = owner;
    owner = null;
    if (o != null) {
      o.onBackendClosed(this);
    }
  }

  // ---- what the connection hands the stream ----------------------------------------------------

  void onHeaders(Http2Headers headers, boolean endStream) {
    UpstreamRequest o = owner;
    if (o == null) {
      return;
    }
    remoteEnded = endStream;
    if (responded) {
      // Trailers: the end of the response.
      trailers = new DefaultHttpHeaders();
      for (Map.Entry<CharSequence, CharSequence> e : headers) {
        CharSequence name = e.getKey();
        if (name.length() > 0 && name.charAt(0) == ':') {
          continue;
        }
        if (!FieldGrammar.isToken(name) || !FieldGrammar.isValue(e.getValue())) {
          // As in the head (ResponseHead.parseHttp2): a CR or LF would write a field of the backend's
          // choosing into an HTTP/1.1 client's trailer section. The response is cut, not ended.
          trailers = null;
          owner = null;
          o.onBackendClosed(this);
          return;
        }
        trailers.add(name, e.getValue());
      }
      end(o);
      return;
    }
    // Used from a local: the exchange may let the link go (and its head with it) while it takes the head.
    ResponseHead h = head;
    if (!h.parseHttp2(headers)) {
      o.onBadResponse(this);
      return;
    }
    if (h.status < 200) {
      // Interim: passed on; the real head follows.
      o.onResponseHead(this, h);
      if (owner == o) {
        h.clear();
      }
      return;
    }
    responded = true;
    headEndedStream = endStream;
    declaredLength = headRequest || h.status == 204 || h.status == 304 ? 0 : h.contentLength;
    o.onResponseHead(this, h);
    if (endStream && owner != null) {
      end(o);
    }
  }

  /** A DATA frame's payload (not retained); returns how many of its bytes go back to the backend's windows now. */
  int onData(ByteBuf data, boolean endStream) {
    UpstreamRequest o = owner;
    int n = data.readableBytes();
    if (o == null) {
      return n;
    }
    remoteEnded = endStream;
    bodyBytes += n;
    if (n > 0) {
      o.onResponseBody(this, data.retain());
    }
    if (endStream) {
      end(o);
    }
    if (reading) {
      return n;
    }
    // The client is behind: the backend gets this window back once it has caught up.
    unconsumed += n;
    return 0;
  }

  private void end(UpstreamRequest o) {
    ended = true;
    if (owner == o) {
      o.onResponseEnd(this);
    }
  }

  /** What the backend sent on the stream broke the protocol; stc resets the stream next, and its close is a bad response. */
  void onMalformed() {
    malformed = true;
  }

  /**
   * The backend reset the stream; it closes next. RST_STREAM(NO_ERROR) after a response whole by
   * its length ends the response: Node's http2 server, whose handler did not read the request
   * (any GET), sends it in place of the last END_STREAM whenever that is still queued behind flow
   * control, so under load most of its answers end so. RFC 9113 (8.1) wants END_STREAM first; a
   * body without a length, or shorter than its length, cannot be shown whole and stays cut.
   */
  void onReset(long errorCode) {
    // Refused: the backend did nothing with it, so any request may go elsewhere.
    refused = !responded && errorCode == Http2Error.REFUSED_STREAM.code();
    // The stream is closing: it gets no RST_STREAM back (RFC 9113 5.4.2), whatever happens next.
    resetByBackend = true;
    UpstreamRequest o = owner;
    // (Trailers would have ended it already.)
    if (errorCode == Http2Error.NO_ERROR.code() && responded && !ended && o != null
        && declaredLength >= 0 && bodyBytes == declaredLength) {
      remoteEnded = true;
      end(o);
    }
  }

  /** The connection's read ended: what the stream got goes on to the client in one flush. */
  @Override
  public void streamReadComplete() {
    inRead = false;
    UpstreamRequest o = owner;
    if (o != null) {
      o.flushToClient();
    }
  }

  void writabilityChanged() {
    UpstreamRequest o = owner;
    if (o != null) {
      o.backendWritabilityChanged();
    }
  }

  /** Netty closed the stream: ended both ways, reset, or its connection went. */
  void streamClosed(int streamId) {
    if (!responded && connection.notProcessed(streamId)) {
      // Closed by a GOAWAY that did not cover it: never processed.
      refused = true;
    }
    connection.freeSlot(this);
    connection.streamClosed();
    UpstreamRequest o = owner;
    if (o != null && !ended) {
      owner = null;
      if (malformed) {
        o.onBadResponse(this);
      } else {
        o.onBackendClosed(this);
      }
    }
  }
}
