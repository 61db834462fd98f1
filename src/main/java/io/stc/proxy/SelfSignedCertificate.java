package io.stc.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for 127.0.0.1/localhost written as PEM files, made with the JDK's own
 * keytool (no extra library): for {@code stc demo --tls} and tests, never for production.
 */
public final class SelfSignedCertificate {
  private SelfSignedCertificate() {}

  /** The certificate and key files. */
  public record PemFiles(Path cert, Path key) {}

  /** Writes {@code stc-cert.pem} and {@code stc-key.pem} into {@code dir} (made if absent) unless they exist. */
  public static PemFiles ensure(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path cert = dir.resolve("stc-cert.pem");
    Path key = dir.resolve("stc-key.pem");
    if (Files.isReadable(cert) && Files.isReadable(key)) {
      return new PemFiles(cert, key);
    }
    Path store = Files.createTempFile(dir, "stc-", ".p12");
    Files.delete(store);
    char[] password = "stc-self-signed".toCharArray();
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p = new ProcessBuilder(List.of(
            keytool, "-genkeypair", "-alias", "stc", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "365",
            "-storetype", "PKCS12", "-keystore", store.toString(),
            "-storepass", new String(password), "-keypass", new String(password)))
        .redirectErrorStream(true)
        .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("keytool failed: " + output.trim());
    }
    try (InputStream in = Files.newInputStream(store)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, password);
      Key privateKey = ks.getKey("stc", password);
      Certificate certificate = ks.getCertificate("stc");
      Files.writeString(cert, pem("CERTIFICATE", certificate.getEncoded()));
      Files.writeString(key, pem("PRIVATE KEY", privateKey.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the generated keystore: " + e.getMessage(), e);
    } finally {
      Files.deleteIfExists(store);
    }
    return new PemFiles(cert, key);
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
