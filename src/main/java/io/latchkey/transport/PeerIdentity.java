package io.latchkey.transport;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Under mutual TLS, binds a peer request to the member it names: every member's certificate
 * comes from one cluster CA, so the CA alone would let any member (or any other holder of a
 * certificate from it) speak as any other. The certificate must name, as a DNS or IP subject
 * alternative name, the host of the peer URL this node has for the sender in
 * {@link PeerHeaders#FROM} (which senders it has one for: {@link KnownPeers}).
 */
final class PeerIdentity {
    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    private PeerIdentity() {
    }

    /** The id a {@link PeerHeaders#FROM} header names, or 0 for none or a malformed one. */
    static long senderId(String from) {
        if (from == null) {
            return 0;
        }
        try {
            return Long.parseUnsignedLong(from, 16);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Whether a DNS name (a leading {@code *.} matching one label) or an IP address of the certificate is {@code host}. */
    static boolean names(X509Certificate certificate, String host) {
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return false;
        }
        if (names == null) {
            return false;
        }
        String wanted = host.toLowerCase(Locale.ROOT);
        InetAddress wantedAddress = ipLiteral(wanted);
        for (List<?> name : names) {
            int type = (Integer) name.get(0);
            String value = String.valueOf(name.get(1)).toLowerCase(Locale.ROOT);
            if (type == SAN_DNS && wantedAddress == null && dnsMatches(value, wanted)) {
                return true;
            }
            if (type == SAN_IP && wantedAddress != null && wantedAddress.equals(ipLiteral(value))) {
                return true;
            }
        }
        return false;
    }

    private static boolean dnsMatches(String pattern, String host) {
        if (pattern.startsWith("*.")) {
            int dot = host.indexOf('.');
            return dot > 0 && host.substring(dot).equals(pattern.substring(1));
        }
        return pattern.equals(host);
    }

    /** The address an IP literal spells (never a DNS lookup), or null for a host name. */
    private static InetAddress ipLiteral(String text) {
        String bare = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        if (!bare.matches("[0-9.]+") && !bare.matches("[0-9a-f:.]*:[0-9a-f:.]*")) {
            return null;
        }
        try {
            return InetAddress.getByName(bare);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
