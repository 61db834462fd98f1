package io.stc.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The blocks of a PEM file, and the certificates and private key they hold. Private keys may be
 * PKCS#8 ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}),
 * as openssl writes them; the last two are rewrapped as PKCS#8, which is what the JDK and Netty read.
 */
final class PemFile {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)\\s*-----END \\1-----");
  /** rsaEncryption (1.2.840.113549.1.1.1) and NULL parameters, DER. */
  private static final byte[] RSA_ALGORITHM = {
    0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
  };
  /** id-ecPublicKey (1.2.840.10045.2.1), DER, without the curve that follows it. */
  private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

  /** One {@code -----BEGIN type-----} block, decoded. */
  record Block(String type, byte[] der) {}

  private final Path path;
  private final List<Block> blocks;

  private PemFile(Path path, List<Block> blocks) {
    this.path = path;
    this.blocks = blocks;
  }

  /**
   * Reads the file's PEM blocks.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read or holds no PEM block
   */
  static PemFile read(Path path) {
    String text;
    try {
      text = Files.readString(path, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + path + ": " + e.getMessage());
    }
    List<Block> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      try {
        blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(path + ": the " + m.group(1) + " block is not valid base64");
      }
    }
    if (blocks.isEmpty()) {
      throw new IllegalArgumentException(path + " holds no PEM block (-----BEGIN ...-----)");
    }
    return new PemFile(path, blocks);
  }

  /** The X.509 certificates, in file order; none when the file has no CERTIFICATE block. */
  List<X509Certificate> certificates() {
    List<X509Certificate> certs = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (Block b : blocks) {
        if (b.type().equals("CERTIFICATE")) {
          certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
        }
      }
    } catch (CertificateException | ClassCastException e) {
      throw new IllegalArgumentException(path + ": a CERTIFICATE block does not parse: " + e.getMessage());
    }
    return certs;
  }

  /** Whether the file holds a private key block of any kind. */
  boolean hasPrivateKey() {
    return blocks.stream().anyMatch(b -> b.type().endsWith("PRIVATE KEY"));
  }

  /**
   * The file's private key.
   *
   * @throws IllegalArgumentException when there is none, it is encrypted, or it does not parse
   */
  PrivateKey privateKey() {
    for (Block b : blocks) {
      switch (b.type()) {
        case "PRIVATE KEY":
          return pkcs8(b.der(), null);
        case "RSA PRIVATE KEY":
          return pkcs8(Der.sequence(Der.integer0(), RSA_ALGORITHM, Der.octetString(b.der())), "RSA");
        case "EC PRIVATE KEY":
          byte[] curve = Der.sec1Curve(b.der());
          if (curve == null) {
            throw new IllegalArgumentException(path + ": the EC PRIVATE KEY names no curve; convert it with "
                + "openssl pkcs8 -topk8 -nocrypt -in " + path.getFileName());
          }
          return pkcs8(Der.sequence(Der.integer0(), Der.sequence(EC_PUBLIC_KEY, curve), Der.octetString(b.der())), "EC");
        case "ENCRYPTED PRIVATE KEY":
          throw new IllegalArgumentException(path + ": the private key is encrypted; stc reads unencrypted keys "
              + "(openssl pkcs8 -topk8 -nocrypt -in " + path.getFileName() + " -out key.pem)");
        default:
          // Certificates, EC PARAMETERS and other blocks are not the key.
      }
    }
    throw new IllegalArgumentException(path + " holds no private key (-----BEGIN PRIVATE KEY-----)");
  }

  private PrivateKey pkcs8(byte[] der, String algorithm) {
    List<String> algorithms = algorithm != null ? List.of(algorithm) : List.of("RSA", "EC", "Ed25519", "RSASSA-PSS");
    for (String a : algorithms) {
      try {
        return KeyFactory.getInstance(a).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        // Not this algorithm: try the next.
      }
    }
    throw new IllegalArgumentException(path + ": the private key does not parse as an RSA or EC key");
  }

  /** The little DER that rewrapping a PKCS#1 or SEC1 key as PKCS#8 takes. */
  private static final class Der {
    private Der() {}

    static byte[] integer0() {
      return new byte[] {0x02, 0x01, 0x00};
    }

    static byte[] octetString(byte[] content) {
      return tlv(0x04, content);
    }

    static byte[] sequence(byte[]... parts) {
      int n = 0;
      for (byte[] p : parts) {
        n += p.length;
      }
      byte[] content = new byte[n];
      int at = 0;
      for (byte[] p : parts) {
        System.arraycopy(p, 0, content, at, p.length);
        at += p.length;
      }
      return tlv(0x30, content);
    }

    private static byte[] tlv(int tag, byte[] content) {
      int len = content.length;
      byte[] header;
      if (len < 0x80) {
        header = new byte[] {(byte) tag, (byte) len};
      } else if (len < 0x100) {
        header = new byte[] {(byte) tag, (byte) 0x81, (byte) len};
      } else if (len < 0x10000) {
        header = new byte[] {(byte) tag, (byte) 0x82, (byte) (len >> 8), (byte) len};
      } else {
        header = new byte[] {(byte) tag, (byte) 0x83, (byte) (len >> 16), (byte) (len >> 8), (byte) len};
      }
      byte[] out = new byte[header.length + len];
      System.arraycopy(header, 0, out, 0, header.length);
      System.arraycopy(content, 0, out, header.length, len);
      return out;
    }

    /**
     * The curve OID (as a whole DER element) in a SEC1 ECPrivateKey's {@code [0] parameters}, or
     * null: SEQUENCE { INTEGER 1, OCTET STRING key, [0] OID, [1] BIT STRING }.
     */
    static byte[] sec1Curve(byte[] der) {
      try {
        int[] seq = header(der, 0);
        if (der[0] != 0x30) {
          return null;
        }
        int at = seq[0];
        int end = seq[0] + seq[1];
        while (at < end) {
          int tag = der[at] & 0xff;
          int[] h = header(der, at);
          if (tag == 0xa0) {
            int inner = h[0];
            int[] oid = header(der, inner);
            if ((der[inner] & 0xff) != 0x06) {
              return null;
            }
            byte[] out = new byte[oid[0] - inner + oid[1]];
            System.arraycopy(der, inner, out, 0, out.length);
            return out;
          }
          at = h[0] + h[1];
        }
        return null;
      } catch (ArrayIndexOutOfBoundsException e) {
        return null;
      }
    }

    /** {content offset, content length} of the element at {@code at}. */
    private static int[] header(byte[] der, int at) {
      int first = der[at + 1] & 0xff;
      if (first < 0x80) {
        return new int[] {at + 2, first};
      }
      int n = first & 0x7f;
      if (n < 1 || n > 3) {
        throw new ArrayIndexOutOfBoundsException("unsupported DER length");
      }
      int len = 0;
      for (int i = 0; i < n; i++) {
        len = (len << 8) | (der[at + 2 + i] & 0xff);
      }
      return new int[] {at + 2 + n, len};
    }
  }
}
