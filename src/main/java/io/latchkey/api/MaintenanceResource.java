package io.latchkey.api;

import com.google.protobuf.ByteString;
import io.latchkey.node.ReplicaLoop;
import io.latchkey.raft.ReadOnlyOption;
import io.latchkey.security.Caller;
import io.latchkey.server.LatchkeyService;
import io.latchkey.server.ReplicaHost;
import io.latchkey.state.Backups;
import io.latchkey.state.LatchkeyStateMachine;
import io.latchkey.state.Sha256;
import io.latchkey.state.proto.StateBackup;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HexFormat;

/**
 * Operations on the node's data: {@code GET /v1/maintenance/snapshot} streams a backup that
 * {@code java -jar latchkey.jar restore} turns into a new single-member cluster.
 */
@ApplicationScoped
@Path("/v1/maintenance")
public class MaintenanceResource {
    static final String REVISION_HEADER = "Latchkey-Revision";
    static final String SHA256_HEADER = "Latchkey-Snapshot-Sha256";

    private final LatchkeyService service;
    private final LatchkeyStateMachine stateMachine;

    @Inject
    public MaintenanceResource(LatchkeyService service, LatchkeyStateMachine stateMachine) {
        this.service = service;
        this.stateMachine = stateMachine;
    }

    /** What is captured on the loop thread: the state as serialized there, and where it stood. */
    private record Captured(ByteString state, long revision, long appliedIndex) {
    }

    /**
     * A {@link StateBackup} as of a linearizable point: after a quorum read barrier the state
     * machine is serialized on the loop thread, between two applied entries, so the backup
     * holds every write acknowledged before the request and no half-applied one. The headers
     * carry the revision and the SHA-256 of the body (what {@code sha256sum} prints for the saved file).
     */
    @GET
    @Path("/snapshot")
    @RolesAllowed(Caller.ADMIN)
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public Response snapshot() {
        ReplicaHost host = service.host();
        if (host == null) {
            throw new ProblemException(503, "Node not started", service.startFailure(), null);
        }
        ReplicaLoop.join(host.loop().readBarrier(ReadOnlyOption.ReadOnlySafe, StateAccess.READ_TIMEOUT));
        Captured captured = ReplicaLoop.join(host.loop().query(r -> {
            ByteString.Output out = ByteString.newOutput();
            try {
                stateMachine.writeSnapshot(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Captured(out.toByteString(), stateMachine.view().revision(), r.appliedIndex());
        }, StateAccess.READ_TIMEOUT));
        ByteString body = Backups.of(captured.state(), captured.revision(), captured.appliedIndex(),
                host.identity().clusterId()).toByteString();
        StreamingOutput stream = body::writeTo;
        return Response.ok(stream)
                .header(REVISION_HEADER, captured.revision())
                .header(SHA256_HEADER, HexFormat.of().formatHex(Sha256.of(body).toByteArray()))
                .header("Content-Length", body.size())
                .header("Content-Disposition", "attachment; filename=\"latchkey-" + captured.revision() + ".snapshot\"")
                .build();
    }
}
