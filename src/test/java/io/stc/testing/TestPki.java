package io.stc.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.text.SimpleDateFormat;
import java.util.Base64;
import java.util.Date;
import java.util.TimeZone;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A test certificate authority that issues RSA and ECDSA certificates for given host names and
 * writes them as PEM files, in plain Java (a few dozen lines of DER), so tests need neither
 * keytool runs nor a crypto library.
 */
public final class TestPki {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A certificate issued by this CA, its key, and their PEM files. */
  public record Issued(X509Certificate cert, PrivateKey key, Path certFile, Path keyFile) {
    /** An SSLContext presenting this certificate (as a client) and trusting {@code trusted}. */
    public SSLContext clientContext(X509Certificate trusted) throws GeneralSecurityException, IOException {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("me", key, "x".toCharArray(), new java.security.cert.Certificate[] {cert});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, "x".toCharArray());
      X509ExtendedKeyManager own = (X509ExtendedKeyManager) kmf.getKeyManagers()[0];
      // Presents the certificate whatever issuers the server names, as curl --cert does: a server
      // must refuse a stranger's certificate, not rely on the client keeping it to itself.
      X509ExtendedKeyManager always = new X509ExtendedKeyManager() {
        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
          return new String[] {"me"};
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket socket) {
          return "me";
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine engine) {
          return "me";
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
          return null;
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket socket) {
          return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
          return own.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
          return own.getPrivateKey(alias);
        }
      };
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new javax.net.ssl.KeyManager[] {always}, trusting(trusted).getTrustManagers(), null);
      return ctx;
    }
  }

  private final Path dir;
  private final KeyPair caKeys;
  private final X509Certificate caCert;
  private final String caName;
  private long serial = 1;

  private TestPki(Path dir, String caName) throws GeneralSecurityException, IOException {
    this.dir = dir;
    this.caName = caName;
    this.caKeys = keys("EC");
    this.caCert = sign(der(caName), caKeys.getPublic().getEncoded(), der(caName), caKeys.getPrivate(), true, new String[0], 3650);
    Files.writeString(dir.resolve(caName + ".pem"), pem("CERTIFICATE", caCert.getEncoded()));
  }

  /** A new CA whose certificate is written to {@code dir/<name>.pem}. */
  public static TestPki create(Path dir, String name) throws GeneralSecurityException, IOException {
    return new TestPki(dir, name);
  }

  public X509Certificate caCert() {
    return caCert;
  }

  public Path caFile() {
    return dir.resolve(caName + ".pem");
  }

  /** An SSLContext that trusts this CA only. */
  public SSLContext trustingContext() throws GeneralSecurityException, IOException {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, trusting(caCert).getTrustManagers(), null);
    return ctx;
  }

  /**
   * Issues a certificate for {@code names} (the first is also its common name) with a new
   * {@code RSA} or {@code EC} key, written to {@code dir/<file>.crt} and {@code dir/<file>.key}.
   */
  public Issued issue(String file, String keyAlgorithm, String... names) throws GeneralSecurityException, IOException {
    return issue(file, keyAlgorithm, 365, names);
  }

  /** As {@link #issue(String, String, String...)}, valid for {@code days} from now (negative: expired). */
  public Issued issue(String file, String keyAlgorithm, int days, String... names) throws GeneralSecurityException, IOException {
    KeyPair kp = keys(keyAlgorithm);
    X509Certificate cert = sign(der(names[0]), kp.getPublic().getEncoded(), der(caName), caKeys.getPrivate(), false, names, days);
    Path certFile = dir.resolve(file + ".crt");
    Path keyFile = dir.resolve(file + ".key");
    Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()));
    Files.writeString(keyFile, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
    return new Issued(cert, kp.getPrivate(), certFile, keyFile);
  }

  /** Writes a PEM block. */
  public static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  public static KeyPair keys(String algorithm) throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
    if (algorithm.equals("EC")) {
      g.initialize(new ECGenParameterSpec("secp256r1"));
    } else {
      g.initialize(2048);
    }
    return g.generateKeyPair();
  }

  private static TrustManagerFactory trusting(X509Certificate cert) throws GeneralSecurityException, IOException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", cert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    return tmf;
  }

  private X509Certificate sign(byte[] subject, byte[] spki, byte[] issuer, PrivateKey signer, boolean ca, String[] names, int days)
      throws GeneralSecurityException, IOException {
    boolean ec = signer.getAlgorithm().equals("EC");
    byte[] algorithm = ec
        ? seq(oid("1.2.840.10045.4.3.2"))
        : seq(oid("1.2.840.113549.1.1.11"), new byte[] {0x05, 0x00});
    long now = System.currentTimeMillis();
    Date notBefore = new Date(days < 0 ? now + days * 86_400_000L * 2 : now - 3_600_000L);
    Date notAfter = new Date(now + days * 86_400_000L);
    ByteArrayOutputStream exts = new ByteArrayOutputStream();
    if (ca) {
      // basicConstraints cA=TRUE (critical), keyUsage keyCertSign + cRLSign (critical).
      exts.write(seq(oid("2.5.29.19"), new byte[] {0x01, 0x01, (byte) 0xff}, tlv(0x04, seq(new byte[] {0x01, 0x01, (byte) 0xff}))));
      exts.write(seq(oid("2.5.29.15"), new byte[] {0x01, 0x01, (byte) 0xff}, tlv(0x04, new byte[] {0x03, 0x02, 0x01, 0x06})));
    } else {
      ByteArrayOutputStream sans = new ByteArrayOutputStream();
      for (String n : names) {
        if (n.matches("[0-9.]+")) {
          byte[] ip = java.net.InetAddress.getByName(n).getAddress();
          sans.write(tlv(0x87, ip));
        } else {
          sans.write(tlv(0x82, n.getBytes(StandardCharsets.US_ASCII)));
        }
      }
      exts.write(seq(oid("2.5.29.17"), tlv(0x04, tlv(0x30, sans.toByteArray()))));
    }
    byte[] tbs = seq(
        tlv(0xa0, new byte[] {0x02, 0x01, 0x02}),
        tlv(0x02, BigInteger.valueOf(serial++).add(BigInteger.valueOf(RANDOM.nextInt(1 << 20)).shiftLeft(16)).toByteArray()),
        algorithm,
        issuer,
        seq(time(notBefore), time(notAfter)),
        subject,
        spki,
        tlv(0xa3, tlv(0x30, exts.toByteArray())));
    Signature s = Signature.getInstance(ec ? "SHA256withECDSA" : "SHA256withRSA");
    s.initSign(signer);
    s.update(tbs);
    byte[] sig = s.sign();
    byte[] bitString = new byte[sig.length + 1];
    System.arraycopy(sig, 0, bitString, 1, sig.length);
    byte[] cert = seq(tbs, algorithm, tlv(0x03, bitString));
    try (InputStream in = new ByteArrayInputStream(cert)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static byte[] der(String commonName) throws IOException {
    return seq(tlv(0x31, seq(oid("2.5.4.3"), tlv(0x0c, commonName.getBytes(StandardCharsets.UTF_8)))));
  }

  private static byte[] time(Date d) {
    SimpleDateFormat f = new SimpleDateFormat("yyMMddHHmmss'Z'");
    f.setTimeZone(TimeZone.getTimeZone("UTC"));
    return tlv(0x17, f.format(d).getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] oid(String dotted) throws IOException {
    String[] p = dotted.split("\\.");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Integer.parseInt(p[0]) * 40 + Integer.parseInt(p[1]));
    for (int i = 2; i < p.length; i++) {
      long v = Long.parseLong(p[i]);
      byte[] buf = new byte[10];
      int n = 0;
      do {
        buf[n++] = (byte) (v & 0x7f);
        v >>= 7;
      } while (v > 0);
      for (int j = n - 1; j >= 0; j--) {
        out.write(buf[j] | (j > 0 ? 0x80 : 0));
      }
    }
    return tlv(0x06, out.toByteArray());
  }

  private static byte[] seq(byte[]... parts) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.write(p);
    }
    return tlv(0x30, out.toByteArray());
  }

  private static byte[] tlv(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int len = content.length;
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else {
      out.write(0x82);
      out.write(len >> 8);
      out.write(len);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }
}
