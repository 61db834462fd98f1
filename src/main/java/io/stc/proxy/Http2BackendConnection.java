package io.stc.proxy;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.stc.pool.Backend;
import java.util.ArrayDeque;

/**
 * One multiplexed HTTP/2 connection from an event loop to a backend: streams for links up to the
 * backend's {@code SETTINGS_MAX_CONCURRENT_STREAMS} (a second connection opens when this one is
 * full), and after a GOAWAY no new ones: it closes once its last stream has ended.
 */
final class Http2BackendConnection {
  /** Streams assumed allowed until the backend's SETTINGS say (RFC 9113 recommends at least 100). */
  static final int DEFAULT_MAX_STREAMS = 100;
  /** Never more streams than this on one connection, whatever the backend allows. */
  static final int MAX_STREAMS = 1000;

  private enum State { CONNECTING, READY, DRAINING, CLOSED }

  final Backend backend;
  private final LoopContext loop;
  private State state = State.CONNECTING;
  private Channel channel;
  /** The connection's HTTP/2 handler, made with the channel. */
  private Http2BackendStreams streamsHandler;
  /**
   * Links that hold a place here: waiting for a stream, or with one Netty has not closed yet (a
   * stream stc reset counts until its RST_STREAM is written), so this never exceeds the backend's limit.
   */
  private int streams;
  private final ArrayDeque<Http2Link> pending = new ArrayDeque<>(4);
  /** Streams assumed allowed until the backend's SETTINGS arrive: what its last connection allowed. */
  private final int expectedMaxStreams;
  /** The address the connection was opened to: once its backend's name moved elsewhere, no new streams go on it. */
  java.net.SocketAddress connectedTo;
  /**
   * Response heads of links that ended, for the next links: a head is about 1 KiB of arrays, and
   * one that held this backend's responses before converts the next ones' fields for HTTP/2
   * clients without garbage (the backend sends much the same head every time).
   */
  private final ArrayDeque<ResponseHead> heads = new ArrayDeque<>();
  /** The served-by name the heads kept were made with. */
  private byte[] headsServedBy;

  Http2BackendConnection(Backend backend, LoopContext loop, int expectedMaxStreams) {
    this.backend = backend;
    this.loop = loop;
    this.expectedMaxStreams = expectedMaxStreams;
  }

  /** The event loop's context the connection belongs to. */
  LoopContext loop() {
    return loop;
  }

  /** Whether another stream may go on this connection now. */
  boolean hasRoom() {
    return (state == State.CONNECTING || state == State.READY) && streams < maxStreams();
  }

  private int maxStreams() {
    if (state == State.CONNECTING) {
      return expectedMaxStreams;
    }
    return Math.min(MAX_STREAMS, streamsHandler.connection().local().maxActiveStreams());
  }

  /** A link for a new stream, counted here; {@link #open} it once its exchange holds it. */
  Http2Link newLink(UpstreamRequest owner, byte[] servedByName, String scheme) {
    Http2Link link = new Http2Link(backend, loop, this, servedByName, scheme);
    link.owner = owner;
    takeSlot(link);
    return link;
  }

  /** A response head for a new link: one a link ended with, or a new one. */
  ResponseHead head(byte[] servedByName) {
    if (servedByName != headsServedBy) {
      // The settings changed: heads made with the old name go.
      heads.clear();
      headsServedBy = servedByName;
    }
    ResponseHead h = heads.pollLast();
    if (h == null) {
      return new ResponseHead(servedByName);
    }
    h.clear();
    return h;
  }

  /** Takes back the head of a link that is done with it (its exchange too: what it kept of it, it copied). */
  void recycle(ResponseHead h) {
    if (heads.size() < MAX_STREAMS) {
      heads.addLast(h);
    }
  }

  /** Takes over a link that waited on another connection which turned out to have less room. */
  void adopt(Http2Link link) {
    link.connection = this;
    takeSlot(link);
    start(link);
  }

  /**
   * Opens the link's stream, now or once the connection is up. Its exchange may hear that it is
   * ready before this returns, so the exchange must already hold the link.
   */
  void start(Http2Link link) {
    if (state == State.READY) {
      open(link);
    } else {
      pending.add(link);
    }
  }

  private void open(Http2Link link) {
    // The stream itself opens with the request's HEADERS, which the exchange writes now.
    link.opened(streamsHandler, channel);
    link.owner.linkReady(link);
  }

  /**
   * The handler that goes last into the connection's pipeline (behind TLS, when there is TLS): it
   * hears the backend's SETTINGS, after which streams open, its GOAWAY, and the streams' frames.
   */
  Http2BackendStreams handler(Channel ch) {
    // Known before anything is read, so the SETTINGS find it.
    channel = ch;
    streamsHandler = Http2BackendStreams.create(this);
    return streamsHandler;
  }

  /** The connection is up; streams open once the backend's SETTINGS say how many it takes. */
  void connected(Channel ch) {
    this.channel = ch;
    if (state != State.CONNECTING) {
      ch.close();
    }
  }

  /** The backend's first SETTINGS arrived: open the waiting streams it has room for; the rest go elsewhere. */
  void settled() {
    if (state != State.CONNECTING) {
      return;
    }
    SslHandler tls = channel.pipeline().get(SslHandler.class);
    if (tls != null && !ApplicationProtocolNames.HTTP_2.equals(tls.applicationProtocol())) {
      // Not agreed on h2 by ALPN: this is no HTTP/2 connection, whatever came back.
      channel.close();
      return;
    }
    state = State.READY;
    int max = maxStreams();
    loop.learnedMaxStreams(backend, max);
    if (max == 0) {
      refuseAll();
      return;
    }
    int opened = 0;
    Http2Link link;
    while ((link = pending.poll()) != null) {
      if (link.owner == null) {
        freeSlot(link);
      } else if (opened < max) {
        opened++;
        open(link);
      } else {
        freeSlot(link);
        loop.place(link);
      }
    }
  }

  /**
   * The backend takes no streams (SETTINGS_MAX_CONCURRENT_STREAMS 0, which RFC 9113 section 5.1.2
   * asks servers to send only briefly, and to close instead when they want no requests): the
   * waiting links fail as never sent, for their exchanges to go elsewhere, and the connection
   * closes. Placing them on another connection to it would open one after another for ever.
   */
  private void refuseAll() {
    state = State.DRAINING;
    loop.forget(this);
    failWaiting();
    channel.close();
  }

  /** The connection could not be made: every waiting link fails (and its exchange may retry). */
  void failed() {
    state = State.CLOSED;
    loop.forget(this);
    failWaiting();
  }

  /** Every link still waiting for a stream here fails, for its exchange to go elsewhere. */
  private void failWaiting() {
    Http2Link link;
    while ((link = pending.poll()) != null) {
      freeSlot(link);
      link.failedToOpen();
    }
  }

  /** A link gave up before its stream opened. */
  void cancel(Http2Link link) {
    if (pending.remove(link)) {
      freeSlot(link);
    }
  }

  /**
   * Whether the backend told us it never processed a stream of this id: past the last stream its
   * GOAWAY named, or never given an id at all (its HEADERS never left).
   */
  boolean notProcessed(int streamId) {
    if (streamId <= 0) {
      return true;
    }
    Http2Connection c = streamsHandler == null ? null : streamsHandler.connection();
    return c != null && c.goAwayReceived() && streamId > c.local().lastStreamKnownByPeer();
  }

  /** Whether the backend sent GOAWAY: no new stream may start here. */
  boolean goingAway() {
    return state == State.DRAINING || state == State.CLOSED
        || (streamsHandler != null && streamsHandler.connection().goAwayReceived());
  }

  private void takeSlot(Http2Link link) {
    link.holdsSlot = true;
    streams++;
  }

  /**
   * The link no longer counts against this connection: its stream closed (Netty's count of active
   * streams has dropped too, so the backend's limit holds), or it never got one; once.
   */
  void freeSlot(Http2Link link) {
    if (!link.holdsSlot) {
      return;
    }
    link.holdsSlot = false;
    streams--;
    streamClosed();
  }

  /** A stream closed (or a link let go): a draining connection closes once nothing is left on it. */
  void streamClosed() {
    if (state == State.DRAINING && idle() && channel != null) {
      channel.close();
    }
  }

  /** No stream is open and none waits to: Netty's own count, not ours, decides (ours counts links). */
  private boolean idle() {
    return pending.isEmpty() && (streamsHandler == null || streamsHandler.connection().numActiveStreams() == 0);
  }

  /** No new streams from now on (a GOAWAY, or the backend left the pool); closes once idle. */
  void drain() {
    if (state == State.CLOSED || state == State.DRAINING) {
      return;
    }
    state = State.DRAINING;
    loop.forget(this);
    // Links still waiting for the connection to be up will get no stream here: they go on another
    // connection to the backend, or, when it has left the pool, back to their exchanges to go elsewhere.
    Http2Link link;
    while ((link = pending.poll()) != null) {
      freeSlot(link);
      if (link.owner == null) {
        continue;
      }
      if (backend.isRemoved()) {
        link.failedToOpen();
      } else {
        loop.place(link);
      }
    }
    if (channel != null && idle()) {
      channel.close();
    }
  }

  /** Closes now, streams and all. */
  void close() {
    state = State.CLOSED;
    if (channel != null) {
      channel.close();
    }
  }

  /** The connection ended (its streams have heard): links still waiting for a stream fail, to be retried. */
  void closed() {
    boolean wasOpen = state != State.CLOSED;
    state = State.CLOSED;
    if (wasOpen) {
      loop.forget(this);
    }
    failWaiting();
  }
}
