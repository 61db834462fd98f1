package io.stc.config;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * A certificate chain and the private key of its first certificate, read from PEM files and checked
 * to belong together (the key signs, the certificate's public key verifies). RSA and ECDSA only.
 *
 * @param chain the leaf certificate first, then the intermediates as the file lists them
 */
public record PemKeyPair(List<X509Certificate> chain, PrivateKey key) {
  public PemKeyPair {
    chain = List.copyOf(chain);
  }

  /** A problem with one of the two files: {@link #inKeyFile} says which, for the config's line. */
  public static final class Problem extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final boolean inKeyFile;

    Problem(boolean inKeyFile, String message) {
      super(message);
      this.inKeyFile = inKeyFile;
    }

    public boolean inKeyFile() {
      return inKeyFile;
    }
  }

  /**
   * Reads and checks a certificate chain and its key.
   *
   * @param keyFile the key's file, or null when the certificate file holds the key too
   * @throws Problem naming the file and what is wrong with it
   */
  public static PemKeyPair read(Path certFile, Path keyFile) {
    PemFile certPem;
    try {
      certPem = PemFile.read(certFile);
    } catch (IllegalArgumentException e) {
      throw new Problem(false, e.getMessage());
    }
    List<X509Certificate> chain;
    try {
      chain = certPem.certificates();
    } catch (IllegalArgumentException e) {
      throw new Problem(false, e.getMessage());
    }
    if (chain.isEmpty()) {
      throw new Problem(false, certFile + " holds no certificate (-----BEGIN CERTIFICATE-----)");
    }
    PrivateKey key;
    if (keyFile == null) {
      if (!certPem.hasPrivateKey()) {
        throw new Problem(false, certFile + " holds no private key: name one with key, or append it to the file");
      }
      try {
        key = certPem.privateKey();
      } catch (IllegalArgumentException e) {
        throw new Problem(false, e.getMessage());
      }
    } else {
      try {
        key = PemFile.read(keyFile).privateKey();
      } catch (IllegalArgumentException e) {
        throw new Problem(true, e.getMessage());
      }
    }
    PemKeyPair pair = new PemKeyPair(chain, key);
    String type = pair.keyType();
    if (type == null) {
      throw new Problem(false, certFile + ": expected an RSA or ECDSA certificate, got a "
          + chain.get(0).getPublicKey().getAlgorithm() + " one");
    }
    if (!key.getAlgorithm().equals(chain.get(0).getPublicKey().getAlgorithm()) || !signsFor(key, chain.get(0).getPublicKey())) {
      throw new Problem(keyFile != null, (keyFile != null ? keyFile : certFile) + ": the private key does not belong to the certificate "
          + chain.get(0).getSubjectX500Principal().getName() + " in " + certFile);
    }
    return pair;
  }

  /**
   * The certificates of a PEM file of trusted certificates (a CA bundle).
   *
   * @throws IllegalArgumentException naming the file when it holds none or one does not parse
   */
  public static List<X509Certificate> trusted(Path file) {
    List<X509Certificate> certs = PemFile.read(file).certificates();
    if (certs.isEmpty()) {
      throw new IllegalArgumentException(file + " holds no certificate (-----BEGIN CERTIFICATE-----)");
    }
    return certs;
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  /** {@code RSA} or {@code EC} (ECDSA), or null for any other kind of key. */
  public String keyType() {
    String a = leaf().getPublicKey().getAlgorithm();
    return a.equals("RSA") || a.equals("EC") ? a : null;
  }

  /**
   * The host names the certificate is for, lower case: its DNS subject alternative names, or its
   * common name when it has none (wildcards such as {@code *.example.com} included).
   */
  public List<String> dnsNames() {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> sans = leaf().getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          // 2 = dNSName
          if (Integer.valueOf(2).equals(san.get(0))) {
            names.add(san.get(1).toString().toLowerCase(Locale.ROOT));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // Unreadable extension: fall back to the common name.
    }
    if (names.isEmpty()) {
      try {
        for (Rdn rdn : new LdapName(leaf().getSubjectX500Principal().getName()).getRdns()) {
          if (rdn.getType().equalsIgnoreCase("CN")) {
            names.add(rdn.getValue().toString().toLowerCase(Locale.ROOT));
          }
        }
      } catch (InvalidNameException e) {
        // No usable subject: the certificate is only a default.
      }
    }
    return names;
  }

  private static boolean signsFor(PrivateKey key, PublicKey pub) {
    String alg = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
