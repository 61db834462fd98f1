package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * One response body gzip-encoded on its way to the client (RFC 1952): what a backend's read
 * brings is deflated, and flushed whole at the read's end, so a stream that the backend sends in
 * pieces reaches the client in pieces it can already decode. Its deflater goes back to the event
 * loop's pool when the body ends or is abandoned.
 */
final class GzipStream {
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, Deflater.DEFLATED, 0, 0, 0, 0, 0, 0, (byte) 0xff};

  private final DeflaterPool pool;
  private Deflater deflater;
  private final CRC32 crc = new CRC32();
  private final byte[] out;
  private boolean headerWritten;
  /** Input was taken since the last flush. */
  private boolean pending;

  /** @param deflater one of {@code pool}'s, reset */
  GzipStream(DeflaterPool pool, Deflater deflater) {
    this.pool = pool;
    this.deflater = deflater;
    this.out = pool.scratch();
  }

  /** Deflates {@code piece} (released here); returns what is ready to go, possibly nothing. */
  ByteBuf deflate(ByteBuf piece, ByteBufAllocator alloc) {
    ByteBuf result = alloc.buffer(Math.max(64, piece.readableBytes() / 2));
    header(result);
    pending = true;
    try {
      int n = piece.nioBufferCount();
      ByteBuffer[] parts = n == 1 ? new ByteBuffer[] {piece.nioBuffer()} : piece.nioBuffers();
      for (ByteBuffer part : parts) {
        crc.update(part.duplicate());
        deflater.setInput(part);
        while (!deflater.needsInput()) {
          drain(result, Deflater.NO_FLUSH);
        }
      }
    } finally {
      piece.release();
    }
    return result;
  }

  /** Everything taken so far, decodable by the client now (a sync flush); null when nothing is pending. */
  ByteBuf flush(ByteBufAllocator alloc) {
    if (!pending) {
      return null;
    }
    pending = false;
    ByteBuf result = alloc.buffer(64);
    header(result);
    drain(result, Deflater.SYNC_FLUSH);
    if (!result.isReadable()) {
      result.release();
      return null;
    }
    return result;
  }

  /** The rest of the stream and its trailer (CRC-32 and length); the deflater goes back to the pool. */
  ByteBuf finish(ByteBufAllocator alloc) {
    ByteBuf result = alloc.buffer(64);
    header(result);
    deflater.finish();
    while (!deflater.finished()) {
      drain(result, Deflater.NO_FLUSH);
    }
    result.writeIntLE((int) crc.getValue());
    result.writeIntLE((int) deflater.getBytesRead());
    release();
    return result;
  }

  /** Gives the deflater back (the body was abandoned, or is done); safe to call twice. */
  void release() {
    if (deflater != null) {
      pool.give(deflater);
      deflater = null;
    }
  }

  private void header(ByteBuf result) {
    if (!headerWritten) {
      headerWritten = true;
      result.writeBytes(HEADER);
    }
  }

  private void drain(ByteBuf result, int flush) {
    while (true) {
      int n = deflater.deflate(out, 0, out.length, flush);
      result.writeBytes(out, 0, n);
      if (n < out.length) {
        return;
      }
    }
  }
}
