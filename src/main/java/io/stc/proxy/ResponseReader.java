package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * Reads a connection's HTTP/1.x responses straight from the bytes that arrive: the head line by
 * line into a {@link ResponseHead}, the body handed on as slices of the same buffers, with its
 * chunked framing when the client takes it as is, so a response is never decoded into objects only
 * to be encoded again (nginx and HAProxy forward the same way). The one HTTP/1 response framing of
 * stc: the proxy reads its backends with it and {@code stc load} the responses it measures.
 */
public final class ResponseReader {
  /** Where the pieces of a response go, in order. */
  public interface Sink {
    void onResponseHead(ResponseHead head);

    /** A piece of the body, a retained slice the sink now owns. */
    void onResponseBody(ByteBuf piece);

    /**
     * The next {@code length} readable bytes of {@code in} are body: the sink reads them, as a
     * slice or by copying them where they go (which saves the slice).
     */
    default void onResponseBody(ByteBuf in, int length) {
      onResponseBody(in.readRetainedSlice(length));
    }

    void onResponseEnd();

    /** Bytes after a 101 Switching Protocols, no longer HTTP; the sink owns them. */
    void onTunnelBytes(ByteBuf bytes);

    void onBadResponse();
  }

  private enum State { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, UNTIL_CLOSE, TUNNEL, BROKEN }

  private static final int MAX_CHUNK_LINE = 4096;

  final ResponseHead head;
  private State state = State.HEAD;
  private boolean headRequest;
  private boolean keepFraming;
  /** Bodies and trailers are skipped, not passed on: the reader only frames the response. */
  private boolean discard;
  private long remaining;
  private boolean leftover;
  /** The trailer fields of the response being read, for a client that gets them as fields; null when none. */
  private HttpHeaders trailers;
  /** The start of a line that did not end in the last buffer. */
  private ByteBuf partial;
  // The line found by nextLine: in the input buffer or in partial.
  private ByteBuf lineBuf;
  private int lineFrom;
  private int lineTo;
  /** Room for a trailer line that is checked and dropped; grows to the longest seen. */
  private byte[] scratch = new byte[0];

  /** @param servedByName the lower-case name of the header {@link ResponseHead#servedBy()} reads, or null */
  public ResponseReader(byte[] servedByName) {
    this.head = new ResponseHead(servedByName);
  }

  /** Forgets any partial response and what followed one, for a new connection. */
  public void reset() {
    state = State.HEAD;
    head.clear();
    leftover = false;
    trailers = null;
    lineBuf = null;
    if (partial != null) {
      partial.clear();
    }
  }

  /**
   * Sets up for the response to the request about to be sent, whose body only needs framing: the
   * sink gets the head and the end, the bytes between are skipped without a slice or a copy.
   *
   * @param headRequest the request is a HEAD: whatever the headers say, no body follows
   */
  public void expectDiscarding(boolean headRequest) {
    expect(headRequest, false);
    this.discard = true;
  }

  /**
   * Sets up for the response to the request about to be sent.
   *
   * @param headRequest the request is a HEAD: whatever the headers say, no body follows
   * @param keepFraming pass chunked bodies on with their chunk framing (else only the data)
   */
  void expect(boolean headRequest, boolean keepFraming) {
    this.headRequest = headRequest;
    this.keepFraming = keepFraming;
    this.discard = false;
    this.leftover = false;
    this.trailers = null;
  }

  /** The body of the response whose head was just read goes on as data alone: its chunks are taken apart. */
  void dataOnly() {
    this.keepFraming = false;
  }

  /**
   * The trailer fields of the response that just ended, when its chunks were taken apart (for an
   * HTTP/2 client); null when there were none or they went on as bytes with the chunks.
   */
  HttpHeaders trailers() {
    return trailers;
  }

  /** Takes the trailer line just read as a field; false when it is not one. Framing and hop-by-hop fields are left out. */
  private boolean trailer() {
    int n = lineTo - lineFrom;
    // A trailer that is only checked goes through one reused array; a kept one needs its own.
    byte[] b = !discard ? new byte[n] : scratch.length >= n ? scratch : (scratch = new byte[Math.max(n, 2 * scratch.length)]);
    lineBuf.getBytes(lineFrom, b, 0, n);
    int colon;
    int v;
    int ve;
    try {
      colon = FieldSection.nameEnd(b, 0, n);
      v = FieldSection.valueStart(b, colon + 1, n);
      ve = FieldSection.valueEnd(b, v, n);
    } catch (RequestRejection e) {
      return false;
    }
    if (!discard && !RequestHead.isHopOrFraming(b, 0, colon)) {
      if (trailers == null) {
        trailers = new DefaultHttpHeaders();
      }
      trailers.add(new AsciiString(b, 0, colon, false), new AsciiString(b, v, ve - v, false));
    }
    return true;
  }

  /** Whether bytes followed the last complete response: a backend that said more than it announced. */
  public boolean hasLeftover() {
    return leftover || state != State.HEAD || (partial != null && partial.isReadable());
  }

  /** Consumes all of {@code in} (the caller still releases it), passing on what it completes. */
  public void read(ByteBuf in, Sink sink) {
    while (in.isReadable()) {
      switch (state) {
        case HEAD -> {
          if (!readHead(in, sink)) {
            return;
          }
        }
        case BODY -> {
          int n = (int) Math.min(remaining, in.readableBytes());
          remaining -= n;
          if (discard) {
            in.skipBytes(n);
          } else {
            sink.onResponseBody(in, n);
          }
          if (remaining == 0) {
            end(in, sink);
          }
        }
        case UNTIL_CLOSE -> {
          if (discard) {
            in.skipBytes(in.readableBytes());
          } else {
            sink.onResponseBody(in.readRetainedSlice(in.readableBytes()));
          }
        }
        case TUNNEL -> sink.onTunnelBytes(in.readRetainedSlice(in.readableBytes()));
        case BROKEN -> in.skipBytes(in.readableBytes());
        default -> readChunked(in, sink);
      }
    }
  }

  /** The connection closed; ends a response that was delimited by the close. */
  public void closed(Sink sink) {
    if (state == State.UNTIL_CLOSE) {
      state = State.HEAD;
      sink.onResponseEnd();
    }
  }

  /** Lets go of the buffer a partial line waits in, once the connection is gone for good. */
  public void release() {
    if (partial != null) {
      partial.release();
      partial = null;
    }
  }

  /** Takes the head once it is all there, in one copy; false when more bytes are needed. */
  private boolean readHead(ByteBuf in, Sink sink) {
    ByteBuf src;
    int from;
    int end;
    if (partial == null || !partial.isReadable()) {
      // Stray line ends before a status line are skipped (RFC 9112 2.2 allows them for requests).
      while (in.isReadable() && (in.getByte(in.readerIndex()) == '\r' || in.getByte(in.readerIndex()) == '\n')) {
        in.skipBytes(1);
      }
      from = in.readerIndex();
      end = endOfHead(in, from, in.writerIndex());
      if (end < 0) {
        return keepPartial(in, sink);
      }
      src = in;
      in.readerIndex(end);
    } else {
      int old = partial.writerIndex();
      partial.writeBytes(in, in.readerIndex(), in.readableBytes());
      from = partial.readerIndex();
      end = endOfHead(partial, Math.max(from, old - 2), partial.writerIndex());
      if (end < 0) {
        in.skipBytes(in.readableBytes());
        return partial.readableBytes() <= ResponseHead.MAX_BYTES || broken(sink);
      }
      in.skipBytes(end - old);
      src = partial;
    }
    if (end - from > ResponseHead.MAX_BYTES) {
      return broken(sink);
    }
    boolean ok = head.parse(src, from, end);
    if (src == partial) {
      partial.clear();
    }
    if (!ok) {
      return broken(sink);
    }
    headDone(in, sink);
    return true;
  }

  private boolean keepPartial(ByteBuf in, Sink sink) {
    if (in.readableBytes() > ResponseHead.MAX_BYTES) {
      return broken(sink);
    }
    if (partial == null) {
      partial = Unpooled.buffer(Math.max(128, in.readableBytes() * 2));
    }
    partial.writeBytes(in);
    return false;
  }

  /** The index just past the empty line that ends a head in {@code buf[from, to)}, or -1. */
  private static int endOfHead(ByteBuf buf, int from, int to) {
    int i = from;
    while (true) {
      int lf = buf.indexOf(i, to, (byte) '\n');
      if (lf < 0) {
        return -1;
      }
      int next = lf + 1;
      if (next < to && buf.getByte(next) == '\n') {
        return next + 1;
      }
      if (next + 1 < to && buf.getByte(next) == '\r' && buf.getByte(next + 1) == '\n') {
        return next + 2;
      }
      i = next;
    }
  }

  private void headDone(ByteBuf in, Sink sink) {
    int code = head.status;
    if (code == 101) {
      state = State.TUNNEL;
      sink.onResponseHead(head);
      return;
    }
    if (code < 200) {
      // Interim (100 Continue and the like): the real response follows.
      sink.onResponseHead(head);
      head.clear();
      return;
    }
    if (headRequest || code == 204 || code == 304 || (!head.chunked && head.contentLength == 0)) {
      sink.onResponseHead(head);
      end(in, sink);
      return;
    }
    if (head.chunked) {
      state = State.CHUNK_SIZE;
    } else if (head.contentLength > 0) {
      state = State.BODY;
      remaining = head.contentLength;
    } else {
      state = State.UNTIL_CLOSE;
    }
    sink.onResponseHead(head);
  }

  private void readChunked(ByteBuf in, Sink sink) {
    // With the framing kept, bytes go on only once they are known good: [rawFrom, rawTo) of in.
    // A line that has not ended waits in partial, so a malformed one never reaches the client.
    int rawFrom = in.readerIndex();
    int rawTo = rawFrom;
    boolean done = false;
    boolean bad = false;
    loop:
    while (in.isReadable()) {
      if (state == State.CHUNK_DATA) {
        int n = (int) Math.min(remaining, in.readableBytes());
        remaining -= n;
        if (keepFraming) {
          in.skipBytes(n);
          rawTo = in.readerIndex();
        } else if (discard) {
          in.skipBytes(n);
        } else {
          sink.onResponseBody(in.readRetainedSlice(n));
        }
        if (remaining == 0) {
          state = State.CHUNK_END;
        }
        continue;
      }
      if (!nextLine(in)) {
        bad = partial.readableBytes() > MAX_CHUNK_LINE;
        break;
      }
      int length = lineTo - lineFrom;
      switch (state) {
        case CHUNK_SIZE -> {
          long size = chunkSize();
          if (size < 0) {
            bad = true;
            break loop;
          }
          remaining = size;
          state = size == 0 ? State.TRAILER : State.CHUNK_DATA;
        }
        case CHUNK_END -> {
          if (length != 0) {
            bad = true;
            break loop;
          }
          state = State.CHUNK_SIZE;
        }
        default -> { // TRAILER
          if (length == 0) {
            done = true;
          } else if (!keepFraming && !trailer()) {
            bad = true;
            break loop;
          }
        }
      }
      if (keepFraming && lineBuf == partial) {
        // The line began in an earlier buffer, so it is the first thing in this one: partial holds
        // all of it but its LF, which goes on with what follows.
        sink.onResponseBody(partial.copy());
        rawFrom = in.readerIndex() - 1;
      }
      rawTo = in.readerIndex();
      consumedLine();
      if (done) {
        break;
      }
    }
    if (keepFraming) {
      passOn(in, rawFrom, rawTo, sink);
    }
    if (bad) {
      broken(sink);
    } else if (done) {
      end(in, sink);
    }
  }

  private static void passOn(ByteBuf in, int from, int to, Sink sink) {
    if (to > from) {
      sink.onResponseBody(in.retainedSlice(from, to - from));
    }
  }

  private void end(ByteBuf in, Sink sink) {
    state = State.HEAD;
    head.clear();
    leftover = in.isReadable();
    if (leftover) {
      // Never parse unasked bytes as the next response: the connection goes once this one ends.
      state = State.BROKEN;
    }
    sink.onResponseEnd();
  }

  private boolean broken(Sink sink) {
    state = State.BROKEN;
    leftover = true;
    sink.onBadResponse();
    return false;
  }

  /**
   * Finds the next line ending in LF. True: it is at lineBuf[lineFrom, lineTo) without CR LF, and
   * consumed from {@code in}. False: all of {@code in} went into partial, waiting for the rest.
   */
  private boolean nextLine(ByteBuf in) {
    int r = in.readerIndex();
    int w = in.writerIndex();
    int lf = in.indexOf(r, w, (byte) '\n');
    boolean pending = partial != null && partial.isReadable();
    if (lf < 0) {
      if (partial == null) {
        partial = Unpooled.buffer(128);
      }
      partial.writeBytes(in, r, w - r);
      in.readerIndex(w);
      return false;
    }
    if (pending) {
      partial.writeBytes(in, r, lf - r);
      lineBuf = partial;
      lineFrom = partial.readerIndex();
      lineTo = partial.writerIndex();
    } else {
      lineBuf = in;
      lineFrom = r;
      lineTo = lf;
    }
    in.readerIndex(lf + 1);
    if (lineTo > lineFrom && lineBuf.getByte(lineTo - 1) == '\r') {
      lineTo--;
    }
    return true;
  }

  private void consumedLine() {
    if (lineBuf == partial && partial != null) {
      partial.clear();
    }
    lineBuf = null;
  }

  /** The hex size at the start of a chunk-size line (extensions after it ignored), or -1. */
  private long chunkSize() {
    long size = 0;
    int i = lineFrom;
    for (; i < lineTo; i++) {
      int d = Character.digit(lineBuf.getByte(i), 16);
      if (d < 0) {
        break;
      }
      if (size > (Long.MAX_VALUE >> 4)) {
        return -1;
      }
      size = size * 16 + d;
    }
    if (i == lineFrom) {
      return -1;
    }
    int next = i < lineTo ? lineBuf.getByte(i) : ';';
    return next == ';' || next == ' ' || next == '\t' ? size : -1;
  }
}
