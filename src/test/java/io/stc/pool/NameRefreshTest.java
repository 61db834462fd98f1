package io.stc.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Backends named by host name move where their names point, and only then. */
class NameRefreshTest {
  private final Map<String, InetAddress[]> dns = new HashMap<>();
  private final List<String> asked = new ArrayList<>();
  private final Upstream upstream = new Upstream(io.stc.Clock.SYSTEM);
  private final NameRefresh names = new NameRefresh(upstream, host -> {
    asked.add(host);
    InetAddress[] a = dns.get(host);
    if (a == null) {
      throw new UnknownHostException(host + ": no such name");
    }
    return a;
  });

  private static InetAddress ip(String literal) throws UnknownHostException {
    return InetAddress.getByName(literal);
  }

  @Test
  void aBackendMovesWhenItsNameLeavesItsAddressAndNotWhenTheAnswersAreOnlyReordered() throws Exception {
    Backend b = upstream.add("svc.invalid:80", "svc.invalid", 80, 1, BackendState.UP);
    assertThat(b.named()).isTrue();
    assertThat(b.address().isUnresolved()).as("the JVM cannot resolve it").isTrue();

    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.2"), ip("127.0.0.3")});
    assertThat(names.refresh()).isEqualTo(1);
    assertThat(b.address().getAddress()).isEqualTo(ip("127.0.0.2"));
    assertThat(b.address().getPort()).isEqualTo(80);

    // Round-robin DNS: the same addresses in another order is no move.
    java.net.InetSocketAddress before = b.address();
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.3"), ip("127.0.0.2")});
    assertThat(names.refresh()).isZero();
    assertThat(b.address()).isSameAs(before);

    // The name left 127.0.0.2: the backend follows it, as a new address object.
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.4")});
    assertThat(names.refresh()).isEqualTo(1);
    assertThat(b.address().getAddress()).isEqualTo(ip("127.0.0.4"));
    assertThat(b.address()).isNotSameAs(before);
  }

  @Test
  void aNameThatStopsResolvingKeepsItsLastAddress() throws Exception {
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.2")});
    Backend b = upstream.add("svc.invalid:80", "svc.invalid", 80, 1, BackendState.UP);
    names.refresh();
    dns.clear();
    assertThat(names.refresh()).isZero();
    assertThat(b.address().getAddress()).isEqualTo(ip("127.0.0.2"));
  }

  @Test
  void literalAddressesAreNeverLookedUpAndANameIsLookedUpOncePerRound() throws Exception {
    upstream.add("127.0.0.1:80", "127.0.0.1", 80, 1, BackendState.UP);
    upstream.add("[::1]:80", "::1", 80, 1, BackendState.UP);
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.2")});
    upstream.add("svc.invalid:80", "svc.invalid", 80, 1, BackendState.UP);
    upstream.add("svc.invalid:81", "svc.invalid", 81, 1, BackendState.UP);
    names.refresh();
    assertThat(asked).containsExactly("svc.invalid");
    assertThat(upstream.pool().all()).filteredOn(Backend::named).hasSize(2)
        .allSatisfy(b -> assertThat(b.address().getAddress()).isEqualTo(ip("127.0.0.2")));
  }
}
