// Run by bench/grpc-unary.sh with the test classpath (grpc-java, HdrHistogram, stc's test classes):
//   java -cp CP bench/GrpcUnaryLatency.java server PORT
//   java -cp CP bench/GrpcUnaryLatency.java client HOST:PORT RATE SECONDS
// The server is GrpcTestServer (a grpc-java server with a byte[] echo service); the client makes
// unary calls at a fixed offered rate (open loop: latency counts from when each call was due, so a
// stall shows as the wait it caused), the first 5 s unrecorded (its own JIT and connection), and
// prints one line: p50 p99 p99.9 max (ms), calls, errors.

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.stc.testing.GrpcTestServer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Recorder;

public class GrpcUnaryLatency {
  public static void main(String[] args) throws Exception {
    if (args[0].equals("server")) {
      GrpcTestServer server = new GrpcTestServer("origin", Integer.parseInt(args[1]));
      System.out.println("grpc origin on " + server.port());
      Thread.currentThread().join();
      return;
    }
    String[] hp = args[1].split(":");
    int rate = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    ManagedChannel channel = NettyChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext().build();
    Recorder latencies = new Recorder(3_600_000_000L, 3);
    AtomicLong errors = new AtomicLong();
    long warm = rate * 5L;
    long total = warm + (long) rate * seconds;
    CountDownLatch done = new CountDownLatch((int) total);
    long start = System.nanoTime();
    long interval = 1_000_000_000L / rate;
    byte[] payload = new byte[64];
    for (long i = 0; i < total; i++) {
      long due = start + i * interval;
      boolean recorded = i >= warm;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      ClientCalls.asyncUnaryCall(channel.newCall(GrpcTestServer.UNARY, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
          payload, new StreamObserver<byte[]>() {
            @Override
            public void onNext(byte[] value) {}

            @Override
            public void onError(Throwable t) {
              if (recorded) {
                errors.incrementAndGet();
              }
              done.countDown();
            }

            @Override
            public void onCompleted() {
              if (recorded) {
                latencies.recordValue(Math.max(1, (System.nanoTime() - due) / 1000));
              }
              done.countDown();
            }
          });
    }
    done.await(60, TimeUnit.SECONDS);
    var h = latencies.getIntervalHistogram();
    System.out.printf("p50 %.3f p99 %.3f p99.9 %.3f max %.3f ms calls %d errors %d%n",
        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0,
        h.getMaxValue() / 1000.0, h.getTotalCount(), errors.get());
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
