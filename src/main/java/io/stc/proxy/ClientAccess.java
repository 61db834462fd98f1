package io.stc.proxy;

import io.stc.config.AddressRange;
import io.stc.config.StcConfig;
import java.util.List;

/**
 * Which clients may send requests ({@code access}): none whose address is in {@code deny}, and,
 * when {@code allow} lists any, only those in it. It judges the client {@code client_ip} found (the
 * one a trusted proxy names), as nginx's allow and deny see the address its realip module set.
 */
final class ClientAccess {
  private final List<AddressRange> allow;
  private final List<AddressRange> deny;
  private final boolean open;

  ClientAccess(StcConfig.Access config) {
    this.allow = config.allow();
    this.deny = config.deny();
    this.open = !config.enabled();
  }

  /** Whether a request from {@code clientIp} goes on; a client whose address is not known passes only a deny list. */
  boolean admits(String clientIp) {
    if (open) {
      return true;
    }
    byte[] address = AddressRange.literal(clientIp);
    if (address == null) {
      return allow.isEmpty();
    }
    return !any(deny, address) && (allow.isEmpty() || any(allow, address));
  }

  private static boolean any(List<AddressRange> ranges, byte[] address) {
    for (AddressRange r : ranges) {
      if (r.contains(address)) {
        return true;
      }
    }
    return false;
  }
}
