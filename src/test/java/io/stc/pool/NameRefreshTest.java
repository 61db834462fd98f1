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
    assertThat(b.inetAddress().isUnresolved()).as("the JVM cannot resolve it").isTrue();

    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.2")});
    assertThat(names.refresh()).isEqualTo(1);
    assertThat(b.inetAddress().getAddress()).isEqualTo(ip("127.0.0.2"));
    assertThat(b.inetAddress().getPort()).isEqualTo(80);

    // The name left 127.0.0.2: the backend follows it, as a new address object.
    java.net.SocketAddress before = b.address();
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.4")});
    assertThat(names.refresh()).isEqualTo(1);
    assertThat(b.inetAddress().getAddress()).isEqualTo(ip("127.0.0.4"));
    assertThat(b.address()).isNotSameAs(before);
    assertThat(upstream.pool().all()).containsExactly(b);
  }

  /** Where each backend of the pool is: id to address. */
  private Map<String, String> where() {
    Map<String, String> m = new java.util.TreeMap<>();
    for (Backend b : upstream.pool().all()) {
      m.put(b.id(), b.inetAddress().getAddress() == null ? "?" : b.inetAddress().getAddress().getHostAddress());
    }
    return m;
  }

  @Test
  void everyAddressOfANameIsABackendOfItsOwnAndReorderedAnswersMoveNothing() throws Exception {
    Backend b = upstream.add("svc.invalid:80", "svc.invalid", 80, 3, BackendState.UP);
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.2"), ip("127.0.0.3"), ip("127.0.0.4"), ip("127.0.0.3")});
    assertThat(names.refresh()).isEqualTo(3);
    assertThat(where()).containsExactly(
        Map.entry("svc.invalid:80", "127.0.0.2"),
        Map.entry("svc.invalid:80@127.0.0.3", "127.0.0.3"),
        Map.entry("svc.invalid:80@127.0.0.4", "127.0.0.4"));
    Backend other = upstream.pool().find("svc.invalid:80@127.0.0.3");
    assertThat(other.siblingOf()).isEqualTo(b.id());
    assertThat(other.host()).as("Host header and SNI stay the name").isEqualTo("svc.invalid");
    assertThat(other.weight()).isEqualTo(3);
    assertThat(other.named()).isTrue();

    // A weight, a backup mark or a limit given the configured backend reaches its other addresses at the next look-up.
    upstream.setWeight(b, 5);
    upstream.setBackup(b, true);
    upstream.setMaxInflight(b, 7);
    assertThat(names.refresh()).isZero();
    for (String id : List.of("svc.invalid:80@127.0.0.3", "svc.invalid:80@127.0.0.4")) {
      Backend s = upstream.pool().find(id);
      assertThat(s.weight()).isEqualTo(5);
      assertThat(s.backup()).as(id).isTrue();
      assertThat(s.maxInflight()).isEqualTo(7);
    }
    upstream.setWeight(b, 3);
    upstream.setBackup(b, false);
    upstream.setMaxInflight(b, 0);
    names.refresh();

    // Round-robin DNS: the same addresses in another order change nothing.
    java.util.List<Backend> before = upstream.pool().all();
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.4"), ip("127.0.0.3"), ip("127.0.0.2")});
    assertThat(names.refresh()).isZero();
    assertThat(upstream.pool().all()).containsExactlyElementsOf(before);
  }

  @Test
  void anAddressTheNameLeavesTakesItsBackendAwayAndANewOneGetsOne() throws Exception {
    Backend b = upstream.add("svc.invalid:80", "svc.invalid", 80, 1, BackendState.DOWN);
    NameRefresh checked = new NameRefresh(upstream, host -> dns.get(host), BackendState.DOWN);
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.2"), ip("127.0.0.3")});
    checked.refresh();
    Backend third = upstream.pool().find("svc.invalid:80@127.0.0.3");
    assertThat(third.state()).as("probes decide, as for any added backend").isEqualTo(BackendState.DOWN);

    // A scale-down of the service: 127.0.0.3 goes, its backend with it; a new instance at .5 comes.
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.2"), ip("127.0.0.5")});
    assertThat(checked.refresh()).isEqualTo(2);
    assertThat(third.isRemoved()).isTrue();
    assertThat(where()).containsExactly(
        Map.entry("svc.invalid:80", "127.0.0.2"), Map.entry("svc.invalid:80@127.0.0.5", "127.0.0.5"));

    // The configured backend's own address goes while .5 stays: it moves to an address no backend
    // has; and when every address has one, it takes the first and that one's backend goes.
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.5"), ip("127.0.0.6")});
    checked.refresh();
    assertThat(where()).containsExactly(
        Map.entry("svc.invalid:80", "127.0.0.6"), Map.entry("svc.invalid:80@127.0.0.5", "127.0.0.5"));
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.5")});
    checked.refresh();
    assertThat(where()).containsExactly(Map.entry("svc.invalid:80", "127.0.0.5"));
    assertThat(upstream.pool().all()).containsExactly(b);
  }

  @Test
  void theOtherAddressesLeaveWithTheirConfiguredBackendAndStayWhenTheNameFails() throws Exception {
    upstream.add("svc.invalid:80", "svc.invalid", 80, 1, BackendState.UP);
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.2"), ip("127.0.0.3")});
    names.refresh();
    dns.clear();
    assertThat(names.refresh()).isZero();
    assertThat(where()).hasSize(2);
    upstream.remove("svc.invalid:80");
    assertThat(names.refresh()).isEqualTo(1);
    assertThat(upstream.pool().all()).isEmpty();
  }

  @Test
  void theOtherAddressesTakeTheConfiguredBackendsWeightWhenItChanges() throws Exception {
    Backend b = upstream.add("svc.invalid:80", "svc.invalid", 80, 2, BackendState.UP);
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.2"), ip("127.0.0.3")});
    names.refresh();
    upstream.setWeight(b, 7);
    names.refresh();
    assertThat(upstream.pool().find("svc.invalid:80@127.0.0.3").weight()).isEqualTo(7);
  }

  @Test
  void aNameThatStopsResolvingKeepsItsLastAddress() throws Exception {
    dns.put("svc.invalid", new InetAddress[] {ip("127.0.0.2")});
    Backend b = upstream.add("svc.invalid:80", "svc.invalid", 80, 1, BackendState.UP);
    names.refresh();
    dns.clear();
    assertThat(names.refresh()).isZero();
    assertThat(b.inetAddress().getAddress()).isEqualTo(ip("127.0.0.2"));
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
        .allSatisfy(b -> assertThat(b.inetAddress().getAddress()).isEqualTo(ip("127.0.0.2")));
  }
}
