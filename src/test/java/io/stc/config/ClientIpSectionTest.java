package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientIpSectionTest {
  @TempDir Path dir;

  private StcConfig.ClientIp clientIp(String yaml) throws IOException {
    return ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)).clientIp();
  }

  private String error(String yaml) throws IOException {
    return ConfigFiles.error(dir, "bad.yaml", yaml);
  }

  @Test
  void absentTrustsNobody() throws IOException {
    assertThat(clientIp("port: 1\n")).isEqualTo(StcConfig.ClientIp.defaults());
    assertThat(StcConfig.ClientIp.defaults().trustedProxies()).isEmpty();
    assertThat(StcConfig.ClientIp.defaults().header()).isEqualTo("X-Forwarded-For");
  }

  @Test
  void addressesAndRangesOfBothFamilies() throws IOException {
    StcConfig.ClientIp c = clientIp("client_ip:\n  trusted_proxies: [10.0.0.0/8, 192.0.2.7, \"::1\", \"2001:db8::/32\", 0.0.0.0/0]\n"
        + "  header: X-Real-IP\n");
    assertThat(c.trustedProxies()).extracting(Object::toString)
        .containsExactly("10.0.0.0/8", "192.0.2.7/32", "0:0:0:0:0:0:0:1/128", "2001:db8:0:0:0:0:0:0/32", "0.0.0.0/0");
    assertThat(c.header()).isEqualTo("X-Real-IP");
  }

  @Test
  void badEntriesNameTheLineTheKeyAndTheProblem() throws IOException {
    assertThat(error("client_ip:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - 10.0.0.1/8\n"))
        .isEqualTo("4: client_ip.trusted_proxies[1]: '10.0.0.1/8' has bits set beyond its prefix: did you mean 10.0.0.0/8?");
    assertThat(error("client_ip:\n  trusted_proxies: [lb.example.com]\n"))
        .isEqualTo("2: client_ip.trusted_proxies[0]: 'lb.example.com' is not an IP address or a CIDR range like 10.0.0.0/8");
    assertThat(error("client_ip:\n  trusted_proxies: [10.0.0.0/33]\n"))
        .isEqualTo("2: client_ip.trusted_proxies[0]: '10.0.0.0/33': the prefix length must be 0 to 32");
    assertThat(error("client_ip:\n  trusted_proxies: [300.0.0.1]\n")).contains("client_ip.trusted_proxies[0]").contains("not an IP address");
    assertThat(error("client_ip:\n  header: \"X Forwarded\"\n")).startsWith("2: client_ip.header: expected a header name");
    assertThat(error("client_ip:\n  trusted: []\n")).startsWith("2: client_ip.trusted: unknown key");
  }

  @Test
  void rangesContainWhatTheySay() {
    AddressRange v4 = AddressRange.parse("10.1.0.0/17");
    assertThat(v4.contains(AddressRange.literal("10.1.127.255"))).isTrue();
    assertThat(v4.contains(AddressRange.literal("10.1.128.0"))).isFalse();
    assertThat(v4.contains(AddressRange.literal("::ffff:10.1.0.9"))).as("IPv4-mapped").isTrue();
    assertThat(v4.contains(AddressRange.literal("2001:db8::1"))).isFalse();
    AddressRange v6 = AddressRange.parse("2001:db8::/32");
    assertThat(v6.contains(AddressRange.literal("2001:db8:ffff::1"))).isTrue();
    assertThat(v6.contains(AddressRange.literal("2001:db9::1"))).isFalse();
    assertThat(v6.contains(AddressRange.literal("10.0.0.1"))).isFalse();
    assertThat(AddressRange.parse("0.0.0.0/0").contains(AddressRange.literal("203.0.113.9"))).isTrue();
    assertThat(AddressRange.literal("example.com")).as("no name is looked up").isNull();
    assertThat(AddressRange.literal("1.2.3")).isNull();
    assertThatThrownBy(() -> AddressRange.parse("10.0.0.0/x")).hasMessageContaining("prefix length");
  }

  @Test
  void accessListsAddressesAndRangesAndNamesBadOnes() throws IOException {
    StcConfig.Access a = ConfigLoader.load(Files.writeString(dir.resolve("a.yaml"),
        "access:\n  allow: [10.0.0.0/8, \"2001:db8::/32\"]\n  deny: [10.6.6.6]\n")).access();
    assertThat(a.allow()).extracting(Object::toString).containsExactly("10.0.0.0/8", "2001:db8:0:0:0:0:0:0/32");
    assertThat(a.deny()).extracting(Object::toString).containsExactly("10.6.6.6/32");
    assertThat(ConfigLoader.load(Files.writeString(dir.resolve("b.yaml"), "port: 1\n")).access().enabled()).isFalse();
    assertThat(error("access:\n  deny: [10.0.0.1/8]\n"))
        .isEqualTo("2: access.deny[0]: '10.0.0.1/8' has bits set beyond its prefix: did you mean 10.0.0.0/8?");
    assertThat(error("access:\n  allow: [office]\n")).startsWith("2: access.allow[0]: 'office' is not an IP address");
    assertThat(error("access:\n  only: []\n")).startsWith("2: access.only: unknown key");
  }
}
