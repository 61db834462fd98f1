package io.stc.proxy;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.stc.pool.Backend;

/**
 * One attempt's way to a backend: a keep-alive HTTP/1.1 connection ({@link Http1Link}) or one
 * stream of a multiplexed HTTP/2 connection ({@link Http2Link}). Serves one exchange at a time and
 * is used only from the event loop that made it; what the backend answers goes to its owner, that
 * exchange's {@link UpstreamRequest}.
 */
abstract class BackendLink {
  /** The response's head also ended its stream (HTTP/2's trailers-only answer, as gRPC errors come). */
  boolean headEndedStream;

  final Backend backend;
  final LoopContext loop;
  /** The upstream request this link serves (on behalf of its exchange), or null while idle. */
  UpstreamRequest owner;
  /** The backend connection's channel (an HTTP/2 stream's is its connection's); null until open. */
  Channel channel;

  BackendLink(Backend backend, LoopContext loop) {
    this.backend = backend;
    this.loop = loop;
  }

  /** Writes the request head (not flushed); the client's request has everything the head needs. */
  abstract void writeHead(ClientRequest r);

  /** Writes a piece of the request body, framed for the backend's protocol; takes ownership. */
  abstract void writeBody(HttpContent content);

  /** Sets up for the response to the request about to be written. */
  abstract void expect(boolean headRequest, boolean keepFraming);

  /** The response's body goes on as its data alone, not its chunk framing (stc re-encodes it); said when its head arrived. */
  void dataOnly() {
  }

  /** The trailer fields of the response that ended, as fields; null when none (or they went on as bytes). */
  abstract HttpHeaders trailers();

  /**
   * Hands the link back after a complete exchange: kept for the next one when it can be, closed
   * otherwise.
   *
   * @param backendKeepsAlive whether the backend's response allows reuse
   */
  abstract void release(boolean backendKeepsAlive);

  /** Whether the backend refused the request without acting on it (HTTP/2's REFUSED_STREAM, a GOAWAY before it): safe to send anywhere again. */
  boolean refusedUnprocessed() {
    return false;
  }

  /**
   * Whether the connection, kept alive from an earlier request, ended without a byte of this
   * request's answer: most likely the backend closed it while idle as the request went out, and
   * never acted on it (it may have, so only an idempotent request goes again).
   */
  boolean closedWhileIdleMaybe() {
    return false;
  }

  /** Whether the link is an HTTP/2 stream (its response comes as frames, not bytes to pass through). */
  abstract boolean isHttp2();

  /** Ends the link for good: nothing more goes to or comes from the exchange. */
  void close() {
    owner = null;
    if (channel != null) {
      channel.close();
    }
  }

  void flush() {
    channel.flush();
  }

  boolean isWritable() {
    return channel.isWritable();
  }

  /** Stops or resumes reading the backend (download back-pressure). */
  void reading(boolean on) {
    if (channel.config().isAutoRead() != on) {
      channel.config().setAutoRead(on);
    }
  }
}
