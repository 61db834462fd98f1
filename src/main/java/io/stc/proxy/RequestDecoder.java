package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;

/**
 * Reads a client's HTTP/1.x requests with RFC 9112's grammar and nothing looser: the request line
 * (method token, one space, a target of visible ASCII, one space, HTTP/1.0 or HTTP/1.1), header
 * fields (token name straight before the colon, no folding, no control bytes in values), every
 * line ended by CRLF, one unambiguous framing (a lone Content-Length or a final chunked), and
 * chunked bodies with checked sizes, extensions and trailers.
 *
 * <p>Where a lenient parser would guess, this one refuses: what it lets through means the same to
 * every HTTP implementation behind the proxy, which is what request smuggling needs to be absent.
 * A refusal is a message with a failed decoder result whose cause is a {@link RequestRejection};
 * after it, everything the client sends is discarded (the connection is about to close).
 *
 * <p>Produces Netty message objects: a {@link DefaultFullHttpRequest} for a request without a
 * body, else the request head, its body pieces (slices of the bytes read) and a last piece that
 * carries the trailers. Bodies are handed on without their chunk framing; the proxy frames them
 * anew for the backend, so chunk extensions never travel on.
 *
 * <p>After a request that asks to switch to WebSocket it pauses: what the client sends next may
 * be the new protocol's, so it stays raw bytes until the answer is known. A 101 removes this
 * decoder and the bytes go to the tunnel as they are; any other answer {@link #resume}s it.
 */
final class RequestDecoder extends ByteToMessageDecoder {
  private enum State { HEAD, FIXED, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, BAD }

  /** The longest chunk-size line, extensions included. */
  static final int MAX_CHUNK_LINE = 4096;
  private static final HttpHeadersFactory HEADERS =
      DefaultHttpHeadersFactory.headersFactory().withValidation(false);
  private static final HttpHeadersFactory TRAILERS =
      DefaultHttpHeadersFactory.trailersFactory().withValidation(false);

  private final int maxLine;
  private final int maxFields;
  private final int maxFieldBytes;
  private final long maxBody;
  private State state = State.HEAD;
  private final FieldSection section = new FieldSection();
  private long remaining;
  private long bodyBytes;
  private HttpHeaders trailers;
  /** The request being read asks to switch protocols. */
  private boolean upgrading;
  /** Nothing more is decoded until {@link #resume}. */
  private boolean paused;
  private ChannelHandlerContext ctx;

  /**
   * @param maxLine the longest request line (414 beyond)
   * @param maxFieldBytes the largest header section, and trailer section (431 beyond)
   * @param maxFields the most header fields, and trailer fields (431 beyond)
   * @param maxBody the largest body (413 beyond); 0 for no limit
   */
  RequestDecoder(int maxLine, int maxFieldBytes, int maxFields, long maxBody) {
    this.maxLine = maxLine;
    this.maxFieldBytes = maxFieldBytes;
    this.maxFields = maxFields;
    this.maxBody = maxBody;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** Whether it waits, after a request to switch protocols, to learn what the bytes after it are. */
  boolean paused() {
    return paused;
  }

  /** The switch was refused: what the client sent after the request is HTTP again, and is decoded now. */
  void resume() {
    if (!paused) {
      return;
    }
    paused = false;
    if (internalBuffer().isReadable()) {
      try {
        channelRead(ctx, Unpooled.EMPTY_BUFFER);
        channelReadComplete(ctx);
      } catch (Exception e) {
        ctx.fireExceptionCaught(e);
      }
    }
  }

  /** The request just read whole: a request to switch protocols pauses the decoding after it. */
  private void messageEnded() {
    state = State.HEAD;
    paused = upgrading;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    try {
      while (in.isReadable() && !paused) {
        switch (state) {
          case HEAD -> {
            if (!readHead(in, out)) {
              return;
            }
          }
          case FIXED -> readFixed(in, out);
          case CHUNK_SIZE -> {
            if (!readChunkSize(in)) {
              return;
            }
          }
          case CHUNK_DATA -> readChunkData(in, out);
          case CHUNK_END -> {
            if (in.readableBytes() < 2) {
              return;
            }
            if (in.readByte() != '\r' || in.readByte() != '\n') {
              throw new RequestRejection(ProxyFailure.BAD_REQUEST, "chunk data not followed by CRLF");
            }
            state = State.CHUNK_SIZE;
          }
          case TRAILERS -> {
            if (!readTrailers(in, out)) {
              return;
            }
          }
          case BAD -> {
            in.skipBytes(in.readableBytes());
            return;
          }
        }
      }
    } catch (RequestRejection r) {
      in.skipBytes(in.readableBytes());
      DecoderResult failed = DecoderResult.failure(r);
      if (state == State.HEAD) {
        DefaultHttpRequest bad = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", HEADERS);
        bad.setDecoderResult(failed);
        out.add(bad);
      } else {
        DefaultLastHttpContent bad = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, TRAILERS);
        bad.setDecoderResult(failed);
        out.add(bad);
      }
      state = State.BAD;
      section.reset();
    }
  }

  // ---- the head -----------------------------------------------------------------------------

  private boolean readHead(ByteBuf in, List<Object> out) {
    if (!section.started()) {
      // Empty lines before a request line are skipped (RFC 9112 2.2), but only whole CRLFs.
      while (in.isReadable() && in.getByte(in.readerIndex()) == '\r') {
        if (in.readableBytes() < 2) {
          return false;
        }
        if (in.getByte(in.readerIndex() + 1) != '\n') {
          throw new RequestRejection(ProxyFailure.BAD_REQUEST, "CR without LF before the request line");
        }
        in.skipBytes(2);
      }
      if (!in.isReadable()) {
        return false;
      }
    }
    int length = section.find(in, maxLine, maxFieldBytes, true);
    if (length < 0) {
      return false;
    }
    RequestHead head = section.parseHead(in, length, maxFields);
    in.skipBytes(length);
    section.reset();
    HttpVersion version = head.http10 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
    HttpMethod method = HttpMethod.valueOf(head.method);
    HttpHeaders headers = head.headers;
    bodyBytes = 0;
    upgrading = WebSocketUpgrade.isRequested(headers);
    if (head.chunked) {
      out.add(new DefaultHttpRequest(version, method, head.uri, headers));
      trailers = null;
      state = State.CHUNK_SIZE;
    } else if (head.contentLength > 0) {
      if (maxBody > 0 && head.contentLength > maxBody) {
        throw new RequestRejection(ProxyFailure.BODY_TOO_LARGE, "Content-Length " + head.contentLength + " over the limit");
      }
      out.add(new DefaultHttpRequest(version, method, head.uri, headers));
      remaining = head.contentLength;
      state = State.FIXED;
    } else {
      // No body, so no trailers: the shared empty (read-only) fields, not a fresh set per request.
      out.add(new DefaultFullHttpRequest(version, method, head.uri, Unpooled.EMPTY_BUFFER, headers, EmptyHttpHeaders.INSTANCE));
      messageEnded();
    }
    return true;
  }

  // ---- bodies -------------------------------------------------------------------------------

  private void readFixed(ByteBuf in, List<Object> out) {
    int n = (int) Math.min(remaining, in.readableBytes());
    remaining -= n;
    if (remaining == 0) {
      out.add(new DefaultLastHttpContent(in.readRetainedSlice(n), TRAILERS));
      messageEnded();
    } else {
      out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
    }
  }

  private boolean readChunkSize(ByteBuf in) {
    int from = in.readerIndex();
    int limit = Math.min(in.writerIndex(), from + MAX_CHUNK_LINE);
    int lf = in.indexOf(from, limit, (byte) '\n');
    if (lf < 0) {
      if (in.readableBytes() >= MAX_CHUNK_LINE) {
        throw new RequestRejection(ProxyFailure.BAD_REQUEST, "chunk-size line too long");
      }
      return false;
    }
    if (lf == from || in.getByte(lf - 1) != '\r') {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "chunk-size line not ended by CRLF");
    }
    long size = ChunkLine.parse(in, from, lf - 1);
    in.readerIndex(lf + 1);
    if (size == 0) {
      state = State.TRAILERS;
      return true;
    }
    bodyBytes += size;
    if (maxBody > 0 && bodyBytes > maxBody) {
      throw new RequestRejection(ProxyFailure.BODY_TOO_LARGE, "chunked body over the limit");
    }
    remaining = size;
    state = State.CHUNK_DATA;
    return true;
  }

  private void readChunkData(ByteBuf in, List<Object> out) {
    int n = (int) Math.min(remaining, in.readableBytes());
    remaining -= n;
    out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
    if (remaining == 0) {
      state = State.CHUNK_END;
    }
  }

  private boolean readTrailers(ByteBuf in, List<Object> out) {
    int length = section.find(in, maxFieldBytes, maxFieldBytes, false);
    if (length < 0) {
      return false;
    }
    HttpHeaders t = section.parseTrailers(in, length, maxFields, TRAILERS.newHeaders());
    in.skipBytes(length);
    section.reset();
    out.add(new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, t));
    messageEnded();
    return true;
  }

  /** A new head parser each request: its headers object goes on with the request. */
  static HttpHeaders newHeaders() {
    return HEADERS.newHeaders();
  }
}
