package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;

/**
 * A request body on its way to a backend: pieces that arrive before a backend connection is ready
 * are held, a copy of a small body is kept so an idempotent request can be replayed on another
 * backend, and each piece is written framed as the client framed it.
 */
final class RequestBody {
  /** Request bodies up to this size (or the buffer limit, if larger) are kept so an idempotent request can be replayed on retry. */
  private static final int REPLAY_LIMIT = 64 * 1024;
  /** Body bytes held while connecting before the client stops being read. */
  private static final int HOLD_LIMIT = 256 * 1024;

  private final ArrayList<HttpContent> held = new ArrayList<>(4);
  private final ArrayList<HttpContent> replay = new ArrayList<>(4);
  private int heldBytes;
  private long receivedBytes;
  private boolean replayable;
  private boolean chunked;
  /** The declared Content-Length, or -1 for a chunked body. */
  private long declared;
  private long replayLimit = REPLAY_LIMIT;

  /**
   * A new request's body begins.
   *
   * @param declared its Content-Length, or -1 when chunked
   * @param bufferLimit how much of it is read before a backend is picked (kept for replays too)
   */
  void start(boolean replayable, boolean chunked, long declared, int bufferLimit) {
    this.replayable = replayable;
    this.chunked = chunked;
    this.declared = declared;
    this.receivedBytes = 0;
    this.replayLimit = Math.max(REPLAY_LIMIT, bufferLimit);
  }

  /**
   * Whether more arrived than the Content-Length said, or the body ended short of it: framing a
   * backend would read differently (an HTTP/1 decoder never lets this through; an HTTP/2 stream's
   * DATA frames are checked here).
   */
  boolean overDeclared(boolean ended) {
    return !chunked && declared >= 0 && (receivedBytes > declared || (ended && receivedBytes != declared));
  }

  /** Body bytes held for a backend connection that is not ready yet. */
  int heldBytes() {
    return heldBytes;
  }

  /** Counts a piece that arrived and keeps a copy while the body may still be replayed; returns the bytes so far. */
  long received(HttpContent c) {
    receivedBytes += c.content().readableBytes();
    if (replayable) {
      if (receivedBytes > replayLimit) {
        replayable = false;
        releaseAll(replay);
      } else {
        replay.add(c.retainedDuplicate());
      }
    }
    return receivedBytes;
  }

  /** Whether the whole body so far is kept for a replay. */
  boolean replayable() {
    return replayable;
  }

  /** Holds a piece until a backend connection can take it. */
  void hold(HttpContent c) {
    held.add(c);
    heldBytes += c.content().readableBytes();
  }

  /** Too much is held: stop reading the client until the backend takes it. */
  boolean holdingTooMuch() {
    return heldBytes > HOLD_LIMIT;
  }

  /** Writes every held piece to the backend; true when the body's last piece was among them. */
  boolean writeHeld(Channel ch) {
    boolean last = false;
    for (int i = 0, n = held.size(); i < n; i++) {
      HttpContent content = held.get(i);
      last |= content instanceof LastHttpContent;
      write(ch, content);
    }
    held.clear();
    heldBytes = 0;
    return last;
  }

  /** After a failed attempt that sent the body: the kept copy is held again for the next backend. */
  void rewind() {
    releaseAll(held);
    heldBytes = 0;
    for (int i = 0, n = replay.size(); i < n; i++) {
      hold(replay.get(i).retainedDuplicate());
    }
  }

  /** Writes one piece to the backend, framed as the client framed the body. */
  void write(Channel ch, HttpContent content) {
    ByteBuf data = content.content();
    boolean last = content instanceof LastHttpContent;
    if (!data.isReadable()) {
      content.release();
    } else if (chunked) {
      ch.write(ResponseBytes.chunkStart(data.readableBytes(), ch.alloc()));
      ch.write(data);
      ch.write(ResponseBytes.chunkEnd());
    } else {
      ch.write(data);
    }
    if (last && chunked) {
      HttpHeaders trailers = ((LastHttpContent) content).trailingHeaders();
      if (trailers.isEmpty()) {
        ch.write(ResponseBytes.lastChunk());
      } else {
        ByteBuf out = ch.alloc().buffer(64);
        out.writeByte('0').writeShort(ResponseHead.CRLF);
        RequestHeadWriter.writeTrailers(out, trailers);
        ch.write(out);
      }
    }
  }

  /** The exchange is over: lets go of everything held or kept. */
  void clear() {
    releaseAll(held);
    heldBytes = 0;
    releaseAll(replay);
  }

  private static void releaseAll(ArrayList<HttpContent> list) {
    for (int i = 0, n = list.size(); i < n; i++) {
      ReferenceCountUtil.release(list.get(i));
    }
    list.clear();
  }
}
