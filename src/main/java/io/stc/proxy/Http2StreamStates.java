package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2FrameReader;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;

/**
 * The stream states of RFC 9113 section 5.1 for the HEADERS frames a client sends, checked before
 * Netty's decoder sees them. Netty keeps no closed streams, so it takes HEADERS on a stream that
 * ended, or on an identifier below the last one opened, for a reset of that one stream and lets the
 * connection go on; and it answers HEADERS after a stream's END_STREAM as PROTOCOL_ERROR. Here, as
 * h2spec checks:
 * <ul>
 *   <li>HEADERS on a stream whose client side ended (half-closed remote) is a stream error
 *       STREAM_CLOSED;
 *   <li>HEADERS on a stream that stc reset lately is ignored: the client may have sent it before
 *       the reset reached it (5.1, "closed");
 *   <li>on a stream the client reset, a stream error STREAM_CLOSED;
 *   <li>on any other stream that ended, a connection error STREAM_CLOSED; on an identifier the
 *       client skipped (one below the last it opened), a connection error PROTOCOL_ERROR (5.1.1): a
 *       client that does either has lost track of its own streams, and nothing more it sends on
 *       the connection can be trusted to mean what it says.
 * </ul>
 * DATA on a stream that stc reset lately is dropped too, its bytes counted against the
 * connection's window and given back at once (5.1: frames in flight when the reset went out must
 * be ignored; Netty would answer each one with RST_STREAM, and a client still uploading would run
 * into the limit on resets); any other DATA is left to Netty's decoder.
 */
final class Http2StreamStates implements Http2FrameReader {
  /**
   * Streams remembered as reset, by stc or by the client: as many as a client may have open at
   * once ({@link ClientPipelines#MAX_STREAMS_PER_CONNECTION}), so a late frame on any stream of one
   * burst of resets is still known for what it is.
   */
  private static final int REMEMBERED = ClientPipelines.MAX_STREAMS_PER_CONNECTION;
  /** Runs of identifiers a client skipped, remembered; clients number their streams one after another. */
  private static final int GAPS = 8;

  private final Http2FrameReader reader;
  private final Http2Connection connection;
  /** Recently reset streams, a ring: the identifier, negative when the client did the resetting. */
  private int[] resets;
  private int next;
  /** Identifiers the client skipped when it opened a stream: first and last of each run, a ring. */
  private int[] gaps;
  private int nextGap;
  /** The highest stream the client opened, 0 before any. */
  private int lastOpened;
  private Http2FrameListener decorated;
  private Guard guard;

  Http2StreamStates(Http2FrameReader reader, Http2Connection connection) {
    this.reader = reader;
    this.connection = connection;
    connection.addListener(new Http2ConnectionAdapter() {
      @Override
      public void onStreamAdded(Http2Stream stream) {
        opened(stream.id());
      }

      @Override
      public void onStreamClosed(Http2Stream stream) {
        if (stream.isResetSent()) {
          remember(stream.id());
        }
      }
    });
  }

  @Override
  public void readFrame(ChannelHandlerContext ctx, ByteBuf input, Http2FrameListener listener) throws Http2Exception {
    // The decoder passes the same listener every time (one for the preface, then its own).
    if (listener != decorated) {
      decorated = listener;
      guard = new Guard(listener);
    }
    reader.readFrame(ctx, input, guard);
  }

  @Override
  public Configuration configuration() {
    return reader.configuration();
  }

  @Override
  public void close() {
    reader.close();
  }

  private void opened(int id) {
    if (!connection.remote().isValidStreamId(id) || id <= lastOpened) {
      return;
    }
    int expected = lastOpened == 0 ? (connection.remote().isValidStreamId(1) ? 1 : 2) : lastOpened + 2;
    if (id > expected) {
      if (gaps == null) {
        gaps = new int[2 * GAPS];
      }
      gaps[2 * nextGap] = expected;
      gaps[2 * nextGap + 1] = id - 2;
      nextGap = (nextGap + 1) % GAPS;
    }
    lastOpened = id;
  }

  /** Whether the client skipped {@code id}, as far as the runs remembered tell. */
  private boolean skipped(int id) {
    if (gaps != null) {
      for (int i = 0; i < gaps.length; i += 2) {
        if (gaps[i] > 0 && gaps[i] <= id && id <= gaps[i + 1]) {
          return true;
        }
      }
    }
    return false;
  }

  private void remember(int entry) {
    if (resets == null) {
      resets = new int[REMEMBERED];
    }
    resets[next] = entry;
    next = (next + 1) % REMEMBERED;
  }

  /** Whether {@code entry} is among the remembered resets. */
  private boolean remembered(int entry) {
    if (resets != null) {
      for (int r : resets) {
        if (r == entry) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether a HEADERS frame on {@code streamId} goes on to the decoder; throws what the stream's state makes of it. */
  private boolean admit(int streamId) throws Http2Exception {
    Http2Stream stream = connection.stream(streamId);
    if (stream != null) {
      if (!stream.isResetSent() && (stream.state() == Http2Stream.State.HALF_CLOSED_REMOTE
          || stream.state() == Http2Stream.State.CLOSED)) {
        throw Http2Exception.streamError(streamId, Http2Error.STREAM_CLOSED, "HEADERS on stream %d after its END_STREAM", streamId);
      }
      return true;
    }
    Http2Connection.Endpoint<?> client = connection.remote();
    if (!client.isValidStreamId(streamId) || streamId > client.lastStreamCreated()
        || connection.goAwaySent() && streamId > client.lastStreamKnownByPeer()) {
      // A new stream (or one Netty ignores after GOAWAY): the decoder's business.
      return true;
    }
    if (remembered(streamId)) {
      return false;
    }
    if (remembered(-streamId)) {
      throw Http2Exception.streamError(streamId, Http2Error.STREAM_CLOSED, "HEADERS on stream %d after its RST_STREAM", streamId);
    }
    if (skipped(streamId)) {
      // RFC 9113 5.1.1: a new stream must be numbered above every stream the client opened.
      throw Http2Exception.connectionError(Http2Error.PROTOCOL_ERROR,
          "HEADERS opening stream %d below the last opened, %d", streamId, client.lastStreamCreated());
    }
    throw Http2Exception.connectionError(Http2Error.STREAM_CLOSED, "HEADERS on stream %d, which ended", streamId);
  }

  /** The decoder's listener with the checks in front of HEADERS, and RST_STREAM remembered. */
  private final class Guard extends Http2FrameListenerDecorator {
    Guard(Http2FrameListener listener) {
      super(listener);
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding, boolean endOfStream)
        throws Http2Exception {
      if (admit(streamId)) {
        super.onHeadersRead(ctx, streamId, headers, padding, endOfStream);
      }
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
        short weight, boolean exclusive, int padding, boolean endOfStream) throws Http2Exception {
      if (admit(streamId)) {
        super.onHeadersRead(ctx, streamId, headers, streamDependency, weight, exclusive, padding, endOfStream);
      }
    }

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream)
        throws Http2Exception {
      if (connection.stream(streamId) == null && remembered(streamId)) {
        // Counted against the connection's window and given back: a stream of its own no longer has one.
        connection.local().flowController().receiveFlowControlledFrame(null, data, padding, endOfStream);
        return data.readableBytes() + padding;
      }
      return super.onDataRead(ctx, streamId, data, padding, endOfStream);
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) throws Http2Exception {
      super.onRstStreamRead(ctx, streamId, errorCode);
      if (streamId > 0) {
        remember(-streamId);
      }
    }
  }
}
