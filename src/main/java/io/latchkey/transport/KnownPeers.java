package io.latchkey.transport;

import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which senders this node takes peer requests from, and at which peer URL each must be: the
 * credentials of a request (under mutual TLS, a certificate that must name that URL's host) then
 * decide whether it is that member.
 *
 * <p>Why a certificate from the cluster CA is not enough: the CA may sign more than the members
 * (client certificates for the client port, a member's next certificate), and every certificate
 * it signs passes the handshake. Accepting an id this node does not know would let any such
 * holder speak as a new member: raise this node's term, or, claiming leadership, append entries
 * and a commit index that this node would apply. So a sender is admitted only as
 * <ol>
 *   <li>a <b>member</b> of the configuration this node has applied (or restored from a snapshot),
 *       at the peer URL that configuration gives it; the leader reaches a learner it adds only
 *       after it applied the change (Raft tracks a peer's progress from then on), and from then
 *       on the learner's answers come from a member here;</li>
 *   <li>a member <b>vouched</b> for by one of those members: a node that fell behind the
 *       configuration (down while a member was added that then became leader) does not know
 *       the newer member that now sends it the log, and could never catch up if it refused it.
 *       It asks the members it knows, over their own authenticated connections, whether that id
 *       is a member and at which peer URL ({@link PeerHeaders#MEMBERS_PATH}); a yes is as good as
 *       the member's own applied change;</li>
 *   <li>a <b>first contact</b>, only while this node has never had a configuration (it joined
 *       with nothing committed: a learner whose log and peers all come from the leader that added
 *       it). It must hear that leader before it knows anyone, and answer it at the URL the
 *       request advertises ({@link PeerHeaders#FROM_URL}, whose host the certificate must name).
 *       This is trust on first use, and it is bounded: such a node has no state to lose, and
 *       it is not a voter anywhere (it joins as a learner, whose acknowledgements count towards
 *       no quorum), so what a rogue first contact could do is feed it a false log and stop it
 *       from joining, which the operator sees (the learner never catches up). The window closes
 *       at its first applied configuration.</li>
 * </ol>
 * A member the configuration removed is never admitted again, vouched for or not.
 *
 * <p>Without TLS, members share one secret, which cannot tell them apart: the same rules
 * decide which ids are admitted, but the secret's holder can claim any of them.
 */
final class KnownPeers {
    /** The standing of a sender id here. */
    sealed interface Standing {
        /** A member (configured or vouched for) whose certificate must name {@code url}'s host. */
        record Member(URI url, boolean vouched) implements Standing {
        }

        /** A sender this node, never configured yet, admits at the URL it advertises. */
        record FirstContact() implements Standing {
        }

        /** A member the configuration removed. */
        record Removed() implements Standing {
        }

        /** Neither: not admitted (its membership may be looked up, see {@link KnownPeers}). */
        record Unknown() implements Standing {
        }
    }

    private final Map<Long, URI> configured = new ConcurrentHashMap<>();
    private final Map<Long, URI> vouched = new ConcurrentHashMap<>();
    private final Set<Long> removed = ConcurrentHashMap.newKeySet();
    private volatile boolean firstContactOpen;

    /** The configuration names {@code id} at {@code url}; the first one closes first contact. */
    synchronized void member(long id, URI url) {
        configured.put(id, url);
        vouched.remove(id);
        removed.remove(id);
        firstContactOpen = false;
    }

    /** The configuration removed {@code id}. */
    synchronized void removed(long id) {
        configured.remove(id);
        vouched.remove(id);
        removed.add(id);
    }

    /** A joining node that never had a configuration: it admits first contacts until it is configured. */
    synchronized void openFirstContact() {
        firstContactOpen = configured.isEmpty() && removed.isEmpty();
    }

    /** A configured member says {@code id} is a member at {@code url}; ignored if removed or configured. */
    synchronized void vouch(long id, URI url) {
        if (!configured.containsKey(id) && !removed.contains(id)) {
            vouched.put(id, url);
        }
    }

    Standing standing(long id) {
        URI url = configured.get(id);
        if (url != null) {
            return new Standing.Member(url, false);
        }
        if (removed.contains(id)) {
            return new Standing.Removed();
        }
        URI vouchedUrl = vouched.get(id);
        if (vouchedUrl != null) {
            return new Standing.Member(vouchedUrl, true);
        }
        return firstContactOpen ? new Standing.FirstContact() : new Standing.Unknown();
    }

    /** The peer URL of configured member {@code id}, or null: what this node answers when asked to vouch. */
    URI configuredUrl(long id) {
        return configured.get(id);
    }

    /** The configured members (the ones asked to vouch for a sender). */
    Map<Long, URI> configured() {
        return Map.copyOf(configured);
    }
}
