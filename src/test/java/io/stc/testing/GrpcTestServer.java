package io.stc.testing;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real grpc-java server (cleartext HTTP/2) with a hand-written service over raw bytes, so no
 * generated code is needed: unary, server, client and bidirectional streaming, chosen failures,
 * slow answers, an endless stream, and the standard health service.
 */
public final class GrpcTestServer implements AutoCloseable {
  public static final String SERVICE = "test.Echo";
  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  /** Answers with the server's name. */
  public static final MethodDescriptor<byte[], byte[]> UNARY = method("Unary", MethodDescriptor.MethodType.UNARY);
  /** A 4-byte count in; that many 8-byte messages (their index) out. */
  public static final MethodDescriptor<byte[], byte[]> MANY = method("Many", MethodDescriptor.MethodType.SERVER_STREAMING);
  /** Messages in; one out: their count and total size, 4 bytes each. */
  public static final MethodDescriptor<byte[], byte[]> COUNT = method("Count", MethodDescriptor.MethodType.CLIENT_STREAMING);
  /** Every message in comes back. */
  public static final MethodDescriptor<byte[], byte[]> CHAT = method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);
  /** A status code's name in (NOT_FOUND, INTERNAL, ...); that status out. */
  public static final MethodDescriptor<byte[], byte[]> FAIL = method("Fail", MethodDescriptor.MethodType.UNARY);
  /** Milliseconds in; the answer after that long. */
  public static final MethodDescriptor<byte[], byte[]> SLOW = method("Slow", MethodDescriptor.MethodType.UNARY);
  /** UNAVAILABLE while the server is set unavailable, its name otherwise. */
  public static final MethodDescriptor<byte[], byte[]> FLAKY = method("Flaky", MethodDescriptor.MethodType.UNARY);
  /** A message every 10 ms until the call is cancelled. */
  public static final MethodDescriptor<byte[], byte[]> ENDLESS = method("Endless", MethodDescriptor.MethodType.SERVER_STREAMING);

  public final String name;
  public final AtomicInteger calls = new AtomicInteger();
  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private volatile boolean unavailable;

  public GrpcTestServer(String name) throws IOException {
    this(name, 0);
  }

  /** On this port (0: any free one). */
  public GrpcTestServer(String name, int port) throws IOException {
    this.name = name;
    ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
        .addMethod(UNARY, ServerCalls.asyncUnaryCall((req, out) -> {
          calls.incrementAndGet();
          reply(out, name.getBytes(StandardCharsets.UTF_8));
        }))
        .addMethod(MANY, ServerCalls.asyncServerStreamingCall((req, out) -> {
          calls.incrementAndGet();
          int n = ByteBuffer.wrap(req).getInt();
          for (int i = 0; i < n; i++) {
            out.onNext(ByteBuffer.allocate(8).putLong(i).array());
          }
          out.onCompleted();
        }))
        .addMethod(COUNT, ServerCalls.asyncClientStreamingCall(out -> {
          calls.incrementAndGet();
          return new StreamObserver<byte[]>() {
            int messages;
            int bytes;

            @Override
            public void onNext(byte[] value) {
              messages++;
              bytes += value.length;
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
              reply(out, ByteBuffer.allocate(8).putInt(messages).putInt(bytes).array());
            }
          };
        }))
        .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(out -> {
          calls.incrementAndGet();
          return new StreamObserver<byte[]>() {
            @Override
            public void onNext(byte[] value) {
              out.onNext(value);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
              out.onCompleted();
            }
          };
        }))
        .addMethod(FAIL, ServerCalls.asyncUnaryCall((req, out) -> {
          calls.incrementAndGet();
          Status.Code code = Status.Code.valueOf(new String(req, StandardCharsets.UTF_8));
          out.onError(Status.fromCode(code).withDescription("as asked").asRuntimeException());
        }))
        .addMethod(SLOW, ServerCalls.asyncUnaryCall((req, out) -> {
          calls.incrementAndGet();
          long ms = Long.parseLong(new String(req, StandardCharsets.UTF_8));
          timers.schedule(() -> reply(out, name.getBytes(StandardCharsets.UTF_8)), ms, TimeUnit.MILLISECONDS);
        }))
        .addMethod(FLAKY, ServerCalls.asyncUnaryCall((req, out) -> {
          calls.incrementAndGet();
          if (unavailable) {
            out.onError(Status.UNAVAILABLE.withDescription(name + " is unavailable").asRuntimeException());
          } else {
            reply(out, name.getBytes(StandardCharsets.UTF_8));
          }
        }))
        .addMethod(ENDLESS, ServerCalls.asyncServerStreamingCall((req, out) -> {
          calls.incrementAndGet();
          ServerCallStreamObserver<byte[]> call = (ServerCallStreamObserver<byte[]>) out;
          AtomicInteger i = new AtomicInteger();
          timers.scheduleAtFixedRate(() -> {
            if (!call.isCancelled()) {
              try {
                call.onNext(ByteBuffer.allocate(4).putInt(i.getAndIncrement()).array());
              } catch (RuntimeException closed) {
                // the call ended under us
              }
            }
          }, 0, 10, TimeUnit.MILLISECONDS);
        }))
        .build();
    health.setStatus(SERVICE, ServingStatus.SERVING);
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .addService(service)
        .addService(health.getHealthService())
        .build()
        .start();
  }

  private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }

  private static void reply(StreamObserver<byte[]> out, byte[] value) {
    out.onNext(value);
    out.onCompleted();
  }

  public int port() {
    return server.getPort();
  }

  /** Flaky calls fail UNAVAILABLE (true) or succeed (false). */
  public void unavailable(boolean on) {
    unavailable = on;
  }

  /** What the standard health service says of {@link #SERVICE}. */
  public void serving(boolean on) {
    health.setStatus(SERVICE, on ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  /** Stops at once, cutting open calls and connections (a crash, as far as clients see). */
  public void kill() {
    server.shutdownNow();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    timers.shutdownNow();
  }
}
