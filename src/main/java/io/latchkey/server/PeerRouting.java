package io.latchkey.server;

import io.helidon.http.Status;
import io.helidon.microprofile.server.RoutingName;
import io.helidon.microprofile.server.RoutingPath;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Puts the peer transport's endpoint on the named socket {@code raft} (the peer port), so
 * peers never share the client API's port. If the node did not start, peers get 503.
 */
@ApplicationScoped
@RoutingName(value = "raft", required = true)
@RoutingPath("/raft")
public class PeerRouting implements HttpService {
    private final LatchkeyService service;

    @Inject
    public PeerRouting(LatchkeyService service) {
        this.service = service;
    }

    @Override
    public void routing(HttpRules rules) {
        ReplicaHost host = service.host();
        if (host == null) {
            rules.any((req, res) -> res.status(Status.SERVICE_UNAVAILABLE_503).send("node not started"));
            return;
        }
        host.peerEndpoint().routing(rules);
    }
}
