package io.stc.proxy;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;

/**
 * A request body on its way to a backend: pieces that arrive before a backend link is ready are
 * held, and a copy of a small body is kept so an idempotent request can be replayed on another
 * backend. The link frames each piece for its protocol.
 */
final class RequestBody {
  /** Request bodies up to this size (or the buffer limit, if larger) are kept so an idempotent request can be replayed on retry. */
  private static final int REPLAY_LIMIT = 64 * 1024;
  /** Body bytes held while connecting before the client stops being read. */
  static final int HOLD_LIMIT = 256 * 1024;

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

  /** The whole body as kept for a replay, each piece a duplicate the caller owns; call once the body has ended and only while {@link #replayable()}. */
  ArrayList<HttpContent> copy() {
    ArrayList<HttpContent> copy = new ArrayList<>(replay.size());
    for (int i = 0, n = replay.size(); i < n; i++) {
      copy.add(replay.get(i).retainedDuplicate());
    }
    return copy;
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

  /** Writes every held piece to the backend link; true when the body's last piece was among them. */
  boolean writeHeld(BackendLink link) {
    boolean last = false;
    for (int i = 0, n = held.size(); i < n; i++) {
      HttpContent content = held.get(i);
      last |= content instanceof LastHttpContent;
      link.writeBody(content);
    }
    held.clear();
    heldBytes = 0;
    return last;
  }

  /** Whether the client framed the body in chunks (an HTTP/1.1 backend gets it chunked too). */
  boolean chunked() {
    return chunked;
  }

  /** After a failed attempt that sent the body: the kept copy is held again for the next backend. */
  void rewind() {
    releaseAll(held);
    heldBytes = 0;
    for (int i = 0, n = replay.size(); i < n; i++) {
      hold(replay.get(i).retainedDuplicate());
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
