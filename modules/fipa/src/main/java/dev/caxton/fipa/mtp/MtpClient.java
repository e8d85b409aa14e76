package dev.caxton.fipa.mtp;

import javax.net.ssl.SSLSocketFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Sends one MTP message to a peer platform: an HTTP/1.1 POST over a fresh connection, written byte
 * for byte as JADE's own MTP writes it (absolute request URI, {@code Mime-Version}, the quoted
 * boundary) but with {@code Connection: close}, since a message is one request and idle connections
 * to peers would only hold resources on both sides.
 *
 * <p>A raw socket rather than {@code java.net.http}: that client refuses to set {@code Connection}
 * and decides the framing itself, and peers depend on these details. {@code https://} addresses use
 * the JVM's default trust store.
 */
public final class MtpClient {

    private static final int MAX_STATUS_LINE = 8192;

    private MtpClient() {
    }

    /**
     * Posts a body and waits for the peer's status.
     *
     * @param address the peer's MTP address
     * @param body    the encoded message
     * @param timeout for connecting, and for each read of the answer
     * @return the HTTP status the peer answered (200 means it took the message for delivery)
     * @throws IOException when the peer cannot be reached or answers something other than HTTP
     */
    public static int post(URI address, MtpBody.Encoded body, Duration timeout) throws IOException {
        return post(address, body, timeout, (SSLSocketFactory) SSLSocketFactory.getDefault());
    }

    /**
     * Posts a body, trusting what the given factory trusts for {@code https://} addresses.
     *
     * @param address the peer's MTP address
     * @param body    the encoded message
     * @param timeout for connecting, and for each read of the answer
     * @param tls     makes TLS sockets for {@code https://}
     * @return the HTTP status the peer answered
     * @throws IOException when the peer cannot be reached or answers something other than HTTP
     */
    public static int post(URI address, MtpBody.Encoded body, Duration timeout, SSLSocketFactory tls) throws IOException {
        String scheme = address.getScheme() == null ? "" : address.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IOException("MTP address " + address + " is not http:// or https://");
        }
        if (address.getHost() == null) {
            throw new IOException("MTP address " + address + " names no host");
        }
        int port = address.getPort() > 0 ? address.getPort() : scheme.equals("https") ? 443 : 80;
        int ms = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress(address.getHost(), port), ms);
            raw.setSoTimeout(ms);
            Socket s = scheme.equals("https")
                    ? tls.createSocket(raw, address.getHost(), port, true)
                    : raw;
            String path = address.getRawPath() == null || address.getRawPath().isEmpty() ? "/" : address.getRawPath();
            String hostPort = address.getHost() + ":" + port;
            String head = "POST " + scheme + "://" + hostPort + path + " HTTP/1.1\r\n"
                    + "Cache-Control: no-cache\r\n"
                    + "Mime-Version: 1.0\r\n"
                    + "Host: " + hostPort + "\r\n"
                    + "Content-Type: " + body.contentType() + "\r\n"
                    + "Content-Length: " + body.body().length + "\r\n"
                    + "Connection: close\r\n\r\n";
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body.body());
            out.flush();
            return status(s.getInputStream(), address);
        }
    }

    private static int status(InputStream in, URI address) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (line.length() >= MAX_STATUS_LINE) {
                throw new IOException("the peer at " + address + " answered with an over-long status line");
            }
            line.append((char) c);
        }
        String[] parts = line.toString().strip().split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("the peer at " + address + " did not answer HTTP"
                    + (line.isEmpty() ? " (it closed the connection)" : ""));
        }
        try {
            return Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("the peer at " + address + " answered status '" + parts[1] + "'");
        }
    }
}
