package io.latchkey.transport;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;

/**
 * Under mutual TLS, binds a peer request to the member it names: every member's certificate
 * comes from one cluster CA, so the CA alone would let any member (or any other holder of a
 * certificate from it) speak as any other. The certificate must name, as a DNS or IP subject
 * alternative name, the host of the sender's peer URL: the one this node has for the id in
 * {@link PeerHeaders#FROM}, or for a sender it does not know yet (a learner's first contact),
 * the one the request gives in {@link PeerHeaders#FROM_URL}.
 */
final class PeerIdentity {
    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    private PeerIdentity() {
    }

    /**
     * Why {@code certificate} does not belong to the member {@code from} names, or null if it does.
     *
     * @param from       the {@link PeerHeaders#FROM} header, or null
     * @param fromUrl    the {@link PeerHeaders#FROM_URL} header, or null
     * @param memberUrls the peer URL this node has for a member id, or null
     */
    static String mismatch(X509Certificate certificate, String from, String fromUrl, LongFunction<URI> memberUrls) {
        long id = senderId(from);
        if (id == 0) {
            return "the request does not name its sender (" + PeerHeaders.FROM.defaultCase() + ")";
        }
        URI url = memberUrls.apply(id);
        if (url == null && fromUrl != null) {
            try {
                url = URI.create(fromUrl);
            } catch (IllegalArgumentException e) {
                return "the sender's peer URL is malformed";
            }
        }
        if (url == null || url.getHost() == null) {
            return "member " + Long.toHexString(id) + " has no peer URL here to check its certificate against";
        }
        String host = url.getHost();
        if (!names(certificate, host)) {
            return "the certificate does not name " + host + ", the host of member " + Long.toHexString(id) + "'s peer URL";
        }
        return null;
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
