package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.ReadOnlyHttp2Headers;
import io.netty.handler.codec.http2.HttpConversionUtil;

/**
 * Writes a backend's response to the client: as bytes, framed for an HTTP/1.x client, or as
 * HTTP/2 frames on a client's stream.
 *
 * <p>Owned by one client connection and used only on its event loop.
 */
final class ResponseWriter {
  /** A response body up to this size that arrives with its head goes out in the same buffer. */
  private static final int JOIN_LIMIT = 4096;

  private final ChannelHandlerContext ctx;
  private HeaderRewriter rewriter;
  private final boolean http2Stream;
  /** The client's HTTP/2 connection, which writes the stream's frames, or null for an HTTP/1.x client. */
  private final Http2ClientStreams streams;
  /** The client's HTTP/2 stream every frame is for, or null for an HTTP/1.x client. */
  private Http2Stream stream;
  /** The HTTP/2 response's last frame (END_STREAM) has been written. */
  private boolean streamEnded;
  /** How the response body is framed for an HTTP/1.x client. */
  private HeaderRewriter.BodyFraming framing;
  /** A response head not yet written, so a small body that arrives with it joins it in one write. */
  private ByteBuf unwrittenHead;
  /**
   * An HTTP/2 response head not yet written: should the response end right after it, it goes out
   * as one HEADERS frame that ends the stream (gRPC's trailers-only answers must look so).
   */
  private Http2Headers unwrittenHttp2Head;
  /**
   * The last piece of an HTTP/2 response body so far, held until the backend's read ends: should
   * the response end within that read, the piece goes out as the DATA frame that ends the stream,
   * one frame fewer than an empty DATA frame after it.
   */
  private ByteBuf unwrittenHttp2Data;
  private ChannelFuture lastWrite;
  /** Encodes the body under way, or null when it goes as it came. */
  private GzipStream gzip;
  /** Body bytes written (or held back to be) for the exchange under way: the access log's size. */
  private long bodyBytes;
  /**
   * The client connection stays open after this HTTP/1.x response, so nothing waits for its writes:
   * they take the void promise, one allocation fewer each. A failed write still closes the connection
   * (through exceptionCaught).
   */
  private boolean voidWrites;

  /**
   * @param streams the client's HTTP/2 connection, or null for an HTTP/1.x client
   * @param stream the client's HTTP/2 stream, or null for an HTTP/1.x client
   */
  ResponseWriter(ChannelHandlerContext ctx, HeaderRewriter rewriter, Http2ClientStreams streams, Http2Stream stream) {
    this.ctx = ctx;
    this.rewriter = rewriter;
    this.streams = streams;
    this.stream = stream;
    this.http2Stream = stream != null;
  }

  /** What the next response gets from stc (the settings of its request: a reload may have replaced them). */
  void rewriter(HeaderRewriter rewriter) {
    this.rewriter = rewriter;
  }

  /** Writes the next stream's response (the writer of a closed stream, reused). */
  void reuseFor(Http2Stream next) {
    discard();
    stream = next;
    streamEnded = false;
  }

  /** Whether an HTTP/2 response has been written to its end. */
  boolean ended() {
    return streamEnded;
  }

  /** Passes an interim response (100 Continue and friends) on at once. */
  void interim(ResponseHead head) {
    if (http2Stream) {
      streams.writeHeaders(stream, ReadOnlyHttp2Headers.serverHeaders(false, head.http2Status(), head.http2Fields(0)), false);
      streams.flush();
      return;
    }
    ByteBuf out = ctx.alloc().buffer(head.approximateSize());
    head.writeKept(out);
    out.writeShort(ResponseHead.CRLF);
    ctx.writeAndFlush(out);
  }

  /**
   * Starts the final response; an HTTP/1.x head is held back until its body (or the end of the
   * read) so a small body goes out with it.
   *
   * @param keep whether the client connection may stay open, as far as the exchange goes
   * @return whether it may stay open after this response (not when the body is delimited by closing)
   */
  boolean head(ResponseHead head, ClientRequest request, boolean keep, String backendId, String cookie, GzipStream gzip) {
    this.gzip = gzip;
    if (http2Stream) {
      unwrittenHttp2Head = rewriter.http2ResponseHead(head, backendId, cookie, request.requestId());
      return keep;
    }
    long small = head.contentLength > 0 && head.contentLength <= JOIN_LIMIT ? head.contentLength : 0;
    ByteBuf out = ctx.alloc().buffer(head.approximateSize() + 192 + (int) small);
    framing = rewriter.writeResponseHead(
        out, head, request.version == HttpVersion.HTTP_1_0, keep, !request.isHeadMethod(),
        backendId, cookie, request.requestId());
    unwrittenHead = out;
    boolean staysOpen = keep && framing != HeaderRewriter.BodyFraming.UNTIL_CLOSE;
    voidWrites = staysOpen;
    return staysOpen;
  }

  /** Writes the switching head of a 101 as the backend sent it, plus the served-by and request-ID headers. */
  void switching(ResponseHead head, String backendId, String requestId) {
    ByteBuf out = ctx.alloc().buffer(head.approximateSize() + 128);
    head.writeAll(out);
    rewriter.writeServedBy(out, backendId);
    rewriter.writeRequestId(out, requestId);
    out.writeShort(ResponseHead.CRLF);
    ctx.write(out);
  }

  /**
   * Copies the next {@code length} bytes of {@code in} into the held-back head when they fit there
   * (a small body that came with its head); false, with nothing read, otherwise.
   */
  boolean join(ByteBuf in, int length) {
    ByteBuf head = unwrittenHead;
    if (head == null || framing != HeaderRewriter.BodyFraming.AS_IS || length > head.maxFastWritableBytes()) {
      return false;
    }
    // Copied memory to memory: head.writeBytes(in, length) makes two NIO views of Netty's adaptive
    // buffers per call, about 130 bytes of garbage per response.
    head.ensureWritable(length);
    in.getBytes(in.readerIndex(), head, head.writerIndex(), length);
    head.writerIndex(head.writerIndex() + length);
    in.skipBytes(length);
    bodyBytes += length;
    return true;
  }

  /** Writes a piece of the body (not flushed). */
  void body(ByteBuf piece) {
    if (gzip != null) {
      encoded(gzip.deflate(piece, ctx.alloc()));
      return;
    }
    int n = piece.readableBytes();
    if (join(piece, n)) {
      piece.release();
      return;
    }
    bodyPiece(piece);
  }

  /** Writes a piece of the encoded body, unless it is empty (the deflater holds what it took). */
  private void encoded(ByteBuf piece) {
    if (piece == null || !piece.isReadable()) {
      if (piece != null) {
        piece.release();
      }
      return;
    }
    bodyPiece(piece);
  }

  private void bodyPiece(ByteBuf piece) {
    int n = piece.readableBytes();
    bodyBytes += n;
    writeHead();
    if (http2Stream) {
      writeHttp2Data();
      unwrittenHttp2Data = piece;
    } else if (framing == HeaderRewriter.BodyFraming.RECHUNK) {
      write(ResponseBytes.chunkStart(n, ctx.alloc()));
      write(piece);
      lastWrite = write(ResponseBytes.chunkEnd());
    } else {
      lastWrite = write(piece);
    }
  }

  /** Writes what is held back and flushes: the backend's read ended. */
  void flush() {
    if (gzip != null) {
      // What this read brought goes out decodable, so a stream sent in pieces arrives in pieces.
      encoded(gzip.flush(ctx.alloc()));
    }
    writeHead();
    if (http2Stream) {
      writeHttp2Data();
      streams.flush();
    } else {
      ctx.flush();
    }
  }

  /**
   * Ends the response and flushes; returns the future of its last write, which is a void one when
   * the connection stays open.
   *
   * @param trailers trailer fields for a client that takes them as fields, or null
   */
  ChannelFuture end(HttpHeaders trailers) {
    if (gzip != null) {
      encoded(gzip.finish(ctx.alloc()));
      gzip = null;
    }
    if (http2Stream) {
      Http2Headers onlyHead = unwrittenHttp2Head;
      if (onlyHead != null && trailers == null) {
        // Nothing but the head: one HEADERS frame that ends the stream.
        unwrittenHttp2Head = null;
        lastWrite = streams.writeHeaders(stream, onlyHead, true);
      } else {
        writeHead();
        if (trailers == null) {
          ByteBuf last = unwrittenHttp2Data;
          unwrittenHttp2Data = null;
          lastWrite = streams.writeData(stream, last == null ? Unpooled.EMPTY_BUFFER : last, true);
        } else {
          writeHttp2Data();
          lastWrite = streams.writeHeaders(stream, http2Trailers(trailers), true);
        }
      }
      streamEnded = true;
      streams.flush();
    } else {
      writeHead();
      if (framing == HeaderRewriter.BodyFraming.RECHUNK) {
        if (trailers == null) {
          lastWrite = write(ResponseBytes.lastChunk());
        } else {
          ByteBuf out = ctx.alloc().buffer(64);
          out.writeByte('0').writeShort(ResponseHead.CRLF);
          RequestHeadWriter.writeTrailers(out, trailers);
          lastWrite = write(out);
        }
      }
      ctx.flush();
    }
    ChannelFuture last = lastWrite;
    lastWrite = null;
    voidWrites = false;
    return last;
  }

  /** Writes and flushes an answer of the proxy's own. */
  ChannelFuture answer(FullHttpResponse r, String requestId) {
    rewriter.ownAnswer(r, requestId);
    bodyBytes += r.content().readableBytes();
    if (!http2Stream) {
      return ctx.writeAndFlush(ResponseBytes.encode(r, ctx.alloc()));
    }
    Http2Headers h = HttpConversionUtil.toHttp2Headers(r, false);
    ByteBuf content = r.content();
    streamEnded = true;
    ChannelFuture last;
    if (!content.isReadable()) {
      content.release();
      last = streams.writeHeaders(stream, h, true);
    } else {
      streams.writeHeaders(stream, h, false);
      last = streams.writeData(stream, content, true);
    }
    streams.flush();
    return last;
  }

  /** Body bytes of the exchange's response written so far. */
  long bodyBytes() {
    return bodyBytes;
  }

  /** Starts counting the body bytes of another response (the next exchange's, or one replacing a withdrawn head). */
  void resetBodyBytes() {
    bodyBytes = 0;
  }

  /** Whether the response under way ends where the connection does (an HTTP/1.0 client's, without a length). */
  boolean delimitedByClose() {
    return !http2Stream && framing == HeaderRewriter.BodyFraming.UNTIL_CLOSE;
  }

  /** Whether the response's head is still held back, so none of the response has been written. */
  boolean holdsUnwrittenHead() {
    return unwrittenHead != null || unwrittenHttp2Head != null;
  }

  /** Drops a head never written: the response was abandoned. */
  void discard() {
    if (gzip != null) {
      gzip.release();
      gzip = null;
    }
    if (unwrittenHead != null) {
      unwrittenHead.release();
      unwrittenHead = null;
    }
    unwrittenHttp2Head = null;
    if (unwrittenHttp2Data != null) {
      unwrittenHttp2Data.release();
      unwrittenHttp2Data = null;
    }
    lastWrite = null;
    voidWrites = false;
  }

  private void writeHead() {
    Http2Headers h2 = unwrittenHttp2Head;
    if (h2 != null) {
      unwrittenHttp2Head = null;
      lastWrite = streams.writeHeaders(stream, h2, false);
      return;
    }
    ByteBuf head = unwrittenHead;
    if (head != null) {
      unwrittenHead = null;
      lastWrite = write(head);
    }
  }

  /** Writes the held-back piece of an HTTP/2 body, if there is one, as a DATA frame that does not end the stream. */
  private void writeHttp2Data() {
    ByteBuf piece = unwrittenHttp2Data;
    if (piece != null) {
      unwrittenHttp2Data = null;
      lastWrite = streams.writeData(stream, piece, false);
    }
  }

  /** Trailer fields as HTTP/2 sends them: names in lower case, without what HTTP/2 forbids. */
  private static Http2Headers http2Trailers(HttpHeaders trailers) {
    Http2Headers h = new DefaultHttp2Headers(false, trailers.size());
    HttpConversionUtil.toHttp2Headers(trailers, h);
    return h;
  }

  private ChannelFuture write(Object msg) {
    return voidWrites ? ctx.write(msg, ctx.voidPromise()) : ctx.write(msg);
  }
}
