package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.stc.pool.BackendProtocol;
import io.stc.pool.BackendState;
import io.stc.testing.GrpcTestServer;
import io.stc.testing.RawBackend;
import io.stc.testing.TestCluster;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real grpc-java clients and servers through stc: every call type, statuses, deadlines, retries, a backend dying. */
class GrpcThroughProxyTest {
  private GrpcTestServer a;
  private GrpcTestServer b;
  private TestCluster stc;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    a = new GrpcTestServer("a");
    b = new GrpcTestServer("b");
    stc = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withRetries(2));
    stc.stc.upstream().add("a", "127.0.0.1", a.port(), 1, BackendState.UP, BackendProtocol.H2C);
    stc.stc.upstream().add("b", "127.0.0.1", b.port(), 1, BackendState.UP, BackendProtocol.H2C);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", stc.stc.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    stc.close();
    a.close();
    b.close();
  }

  private byte[] unary(io.grpc.MethodDescriptor<byte[], byte[]> m, byte[] req) {
    return ClientCalls.blockingUnaryCall(channel, m, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), req);
  }

  @Test
  void unaryCallsAreBalancedPerCallOverOneClientConnection() {
    Map<String, Integer> by = new HashMap<>();
    for (int i = 0; i < 20; i++) {
      by.merge(new String(unary(GrpcTestServer.UNARY, new byte[] {1}), StandardCharsets.UTF_8), 1, Integer::sum);
    }
    assertThat(by).containsOnlyKeys("a", "b");
    assertThat(by.values()).containsOnly(10);
    assertThat(stc.stc.proxy().stats().grpcCalls(GrpcStatus.OK)).isEqualTo(20);
  }

  @Test
  void tenThousandMessagesEachWayInEveryStreamingKind() throws Exception {
    Iterator<byte[]> many = ClientCalls.blockingServerStreamingCall(channel, GrpcTestServer.MANY,
        CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS), ByteBuffer.allocate(4).putInt(10_000).array());
    long expected = 0;
    while (many.hasNext()) {
      assertThat(ByteBuffer.wrap(many.next()).getLong()).isEqualTo(expected++);
    }
    assertThat(expected).isEqualTo(10_000);

    CompletableFuture<byte[]> counted = new CompletableFuture<>();
    StreamObserver<byte[]> up = ClientCalls.asyncClientStreamingCall(
        channel.newCall(GrpcTestServer.COUNT, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS)), observer(counted, null));
    for (int i = 0; i < 10_000; i++) {
      up.onNext(new byte[100]);
    }
    up.onCompleted();
    ByteBuffer count = ByteBuffer.wrap(counted.get(60, TimeUnit.SECONDS));
    assertThat(count.getInt()).isEqualTo(10_000);
    assertThat(count.getInt()).isEqualTo(1_000_000);

    List<Integer> echoed = new ArrayList<>();
    CompletableFuture<byte[]> chatDone = new CompletableFuture<>();
    StreamObserver<byte[]> chat = ClientCalls.asyncBidiStreamingCall(
        channel.newCall(GrpcTestServer.CHAT, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS)),
        observer(chatDone, m -> echoed.add(ByteBuffer.wrap(m).getInt())));
    for (int i = 0; i < 10_000; i++) {
      chat.onNext(ByteBuffer.allocate(4).putInt(i).array());
    }
    chat.onCompleted();
    chatDone.get(60, TimeUnit.SECONDS);
    assertThat(echoed).hasSize(10_000);
    assertThat(echoed.get(9_999)).isEqualTo(9_999);
  }

  /**
   * A bidirectional call sends a message and waits for its answer (grpc-go's and every chat's way):
   * its messages go to the backend as they come, not held for a whole body; and a call's client
   * may pause between messages longer than {@code timeouts.body}, before the response began
   * (client streaming) and after it.
   */
  @Test
  void aCallsMessagesGoAsTheyComeAndItsClientMayPause() throws Exception {
    throughStcWith(t -> t.withBody(Duration.ofMillis(200)), (paced, ch) -> {
      java.util.concurrent.LinkedBlockingQueue<byte[]> answers = new java.util.concurrent.LinkedBlockingQueue<>();
      CompletableFuture<byte[]> chatDone = new CompletableFuture<>();
      StreamObserver<byte[]> chat = ClientCalls.asyncBidiStreamingCall(
          ch.newCall(GrpcTestServer.CHAT, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS)),
          observer(chatDone, answers::add));
      for (int i = 0; i < 100; i++) {
        chat.onNext(ByteBuffer.allocate(4).putInt(i).array());
        byte[] back = answers.poll(20, TimeUnit.SECONDS);
        assertThat(back).as("answer %d (the call: %s)", i, chatDone).isNotNull();
        assertThat(ByteBuffer.wrap(back).getInt()).isEqualTo(i);
        if (i == 50) {
          clientPause();
        }
      }
      chat.onCompleted();
      chatDone.get(20, TimeUnit.SECONDS);

      CompletableFuture<byte[]> counted = new CompletableFuture<>();
      StreamObserver<byte[]> up = ClientCalls.asyncClientStreamingCall(
          ch.newCall(GrpcTestServer.COUNT, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS)), observer(counted, null));
      up.onNext(new byte[10]);
      clientPause();
      up.onNext(new byte[10]);
      up.onCompleted();
      assertThat(ByteBuffer.wrap(counted.get(20, TimeUnit.SECONDS)).getInt()).isEqualTo(2);
      assertThat(paced.stc.proxy().stats().grpcCalls(GrpcStatus.OK)).isEqualTo(2);
    });
  }

  @Test
  void aCallOnWhichNothingGoesEitherWayEndsUnavailableAfterStreamIdleAndOnlyThen() throws Exception {
    java.util.concurrent.ScheduledExecutorService pacer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    try {
      throughStcWith(t -> t.withStreamIdle(Duration.ofMillis(500)), (idle, ch) -> {
        // A chat that says something every 200 ms for 1.6 s lives past the limit; then it goes quiet.
        java.util.concurrent.LinkedBlockingQueue<byte[]> answers = new java.util.concurrent.LinkedBlockingQueue<>();
        CompletableFuture<byte[]> chatDone = new CompletableFuture<>();
        StreamObserver<byte[]> chat = ClientCalls.asyncBidiStreamingCall(
            ch.newCall(GrpcTestServer.CHAT, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS)),
            observer(chatDone, answers::add));
        AtomicInteger said = new AtomicInteger();
        CountDownLatch talked = new CountDownLatch(1);
        pacer.scheduleAtFixedRate(() -> {
          int i = said.getAndIncrement();
          if (i < 8) {
            chat.onNext(ByteBuffer.allocate(4).putInt(i).array());
          } else {
            talked.countDown();
            throw new IllegalStateException("done"); // ends this schedule
          }
        }, 0, 200, TimeUnit.MILLISECONDS);
        assertThat(talked.await(20, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 8; i++) {
          byte[] back = answers.poll(20, TimeUnit.SECONDS);
          assertThat(back).as("answer %d (the call: %s)", i, chatDone).isNotNull();
        }
        assertThat(chatDone).failsWithin(Duration.ofSeconds(20)).withThrowableThat().havingRootCause()
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription()).contains("nothing went either way");
            });

        // A client stream that sends one message and then nothing: no response began, so the
        // answer is a trailers-only UNAVAILABLE.
        CompletableFuture<byte[]> counted = new CompletableFuture<>();
        StreamObserver<byte[]> up = ClientCalls.asyncClientStreamingCall(
            ch.newCall(GrpcTestServer.COUNT, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS)), observer(counted, null));
        up.onNext(new byte[10]);
        assertThat(counted).failsWithin(Duration.ofSeconds(20)).withThrowableThat().havingRootCause()
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));

        assertThat(idle.stc.proxy().stats().failures(ProxyFailure.STREAM_IDLE)).isEqualTo(2);
        assertThat(idle.stc.proxy().stats().grpcCalls(GrpcStatus.UNAVAILABLE)).isEqualTo(2);
        assertThat(idle.stc.upstream().pool().all().get(0).stats().failures()).as("an idle call is no one's failure").isZero();
        // The backend serves on.
        assertThat(new String(ClientCalls.blockingUnaryCall(ch, GrpcTestServer.UNARY,
            CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), new byte[0]), StandardCharsets.UTF_8)).isEqualTo("a");
      });
    } finally {
      pacer.shutdownNow();
    }
  }

  /** Runs {@code calls} through a cluster of its own (backend {@code a}, timeouts changed) on a channel of its own. */
  private void throughStcWith(java.util.function.UnaryOperator<io.stc.config.StcConfig.Timeouts> timeouts, Calls calls) throws Exception {
    try (TestCluster own = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withTimeouts(timeouts.apply(cfg.timeouts())))) {
      own.stc.upstream().add("a", "127.0.0.1", a.port(), 1, BackendState.UP, BackendProtocol.H2C);
      ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", own.stc.port()).usePlaintext().build();
      try {
        calls.run(own, ch);
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /** Calls made through a cluster on a channel. */
  private interface Calls {
    void run(TestCluster cluster, ManagedChannel channel) throws Exception;
  }

  /** A client that has nothing to say for three times {@code timeouts.body}: the pause is the input under test, not a wait for stc. */
  private static void clientPause() throws InterruptedException {
    Thread.sleep(600);
  }

  @Test
  void statusesPassThroughAndOnlyTheBackendsOwnFailuresCountAgainstIt() {
    for (String code : List.of("NOT_FOUND", "INVALID_ARGUMENT", "INTERNAL", "RESOURCE_EXHAUSTED")) {
      assertThatThrownBy(() -> unary(GrpcTestServer.FAIL, code.getBytes(StandardCharsets.UTF_8)))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode().name()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).isEqualTo("as asked");
          });
    }
    ProxyStats s = stc.stc.proxy().stats();
    assertThat(s.grpcCalls(5)).isEqualTo(1);
    assertThat(s.grpcCalls(3)).isEqualTo(1);
    assertThat(s.grpcCalls(GrpcStatus.INTERNAL)).isEqualTo(1);
    assertThat(s.grpcCalls(GrpcStatus.RESOURCE_EXHAUSTED)).isEqualTo(1);
    long backendErrors = stc.stc.upstream().pool().all().stream().mapToLong(x -> x.stats().failures()).sum();
    assertThat(backendErrors).isEqualTo(2);
  }

  @Test
  void aDeadlineBoundsTheCall() {
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, GrpcTestServer.SLOW,
            CallOptions.DEFAULT.withDeadlineAfter(200, TimeUnit.MILLISECONDS), "5000".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    // And stc keeps serving.
    assertThat(unary(GrpcTestServer.UNARY, new byte[0])).isNotEmpty();
  }

  /**
   * A call whose deadline is longer than {@code timeouts.response} may wait for its answer until
   * the deadline: its caller chose how long (a watch's first event may be minutes away). Without a
   * deadline, the proxy's timeout holds.
   */
  @Test
  void aCallsDeadlineNotTheProxysTimeoutBoundsItsWait() throws Exception {
    throughStcWith(t -> t.withResponse(Duration.ofMillis(300)), (hurried, ch) -> {
      byte[] answer = ClientCalls.blockingUnaryCall(ch, GrpcTestServer.SLOW,
          CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), "1000".getBytes(StandardCharsets.UTF_8));
      assertThat(new String(answer, StandardCharsets.UTF_8)).isEqualTo("a");
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(ch, GrpcTestServer.SLOW, CallOptions.DEFAULT,
              "1000".getBytes(StandardCharsets.UTF_8)))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    });
  }

  @Test
  void unavailableBeforeAnyResponseIsRetriedOnAnotherBackend() {
    a.unavailable(true);
    for (int i = 0; i < 10; i++) {
      assertThat(new String(unary(GrpcTestServer.FLAKY, new byte[0]), StandardCharsets.UTF_8)).isEqualTo("b");
    }
    assertThat(a.calls.get()).isPositive();
    assertThat(stc.stc.proxy().stats().retries()).isEqualTo(a.calls.get());
    // With nowhere else to go, the backend's own answer reaches the caller.
    b.unavailable(true);
    assertThatThrownBy(() -> unary(GrpcTestServer.FLAKY, new byte[0]))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).endsWith("is unavailable");
        });
  }

  @Test
  void aPoolWithNoBackendAnswersInGrpcTerms() {
    stc.stc.upstream().remove(stc.stc.upstream().pool().all().get(0).id());
    stc.stc.upstream().remove(stc.stc.upstream().pool().all().get(0).id());
    assertThatThrownBy(() -> unary(GrpcTestServer.UNARY, new byte[0]))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).isEqualTo("stc: no backend available");
        });
    assertThat(stc.stc.proxy().stats().grpcCalls(GrpcStatus.UNAVAILABLE)).isEqualTo(1);
  }

  @Test
  void aBackendKilledMidStreamEndsTheStreamUnavailableAndNewCallsGoElsewhere() throws Exception {
    CountDownLatch some = new CountDownLatch(5);
    AtomicReference<Throwable> ended = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    AtomicInteger served = new AtomicInteger();
    // Round robin: the first call goes to a.
    ClientCall<byte[], byte[]> call = channel.newCall(GrpcTestServer.ENDLESS, CallOptions.DEFAULT);
    ClientCalls.asyncServerStreamingCall(call, new byte[0], new StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {
        served.incrementAndGet();
        some.countDown();
      }

      @Override
      public void onError(Throwable t) {
        ended.set(t);
        done.countDown();
      }

      @Override
      public void onCompleted() {
        done.countDown();
      }
    });
    assertThat(some.await(20, TimeUnit.SECONDS)).isTrue();
    GrpcTestServer streaming = a.calls.get() == 1 ? a : b;
    GrpcTestServer other = streaming == a ? b : a;
    streaming.kill();
    assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(ended.get()).isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    for (int i = 0; i < 6; i++) {
      assertThat(new String(unary(GrpcTestServer.UNARY, new byte[0]), StandardCharsets.UTF_8)).isEqualTo(other.name);
    }
  }

  private static StreamObserver<byte[]> observer(CompletableFuture<byte[]> result, java.util.function.Consumer<byte[]> each) {
    return new StreamObserver<>() {
      byte[] last;

      @Override
      public void onNext(byte[] value) {
        last = value;
        if (each != null) {
          each.accept(value);
        }
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.complete(last);
      }
    };
  }
}
