package io.latchkey.api;

import io.latchkey.node.ReplicaLoop;
import io.latchkey.node.SnapshotImage;
import io.latchkey.raft.ReadOnlyOption;
import io.latchkey.security.Caller;
import io.latchkey.server.LatchkeyService;
import io.latchkey.server.ReplicaHost;
import io.latchkey.state.Backups;
import io.latchkey.state.LatchkeyStateMachine;
import io.latchkey.state.Sha256;
import io.latchkey.state.StateImage;
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

    /** What is captured on the loop thread: a view of the state, and where it stood. */
    private record Captured(StateImage state, long appliedIndex) {
    }

    /**
     * A {@link StateBackup} as of a linearizable point: after a quorum read barrier the state
     * is captured on the loop thread, between two applied entries, so the backup holds every
     * write acknowledged before the request and no half-applied one. The capture copies
     * references only; the backup is serialized from it off the loop and streamed, never held
     * whole: once to compute the SHA-256 of the body for its header (what {@code sha256sum}
     * prints for the saved file), once more as the body. The headers also carry the revision.
     */
    @GET
    @Path("/snapshot")
    @RolesAllowed(Caller.ADMIN)
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public Response snapshot() throws IOException {
        ReplicaHost host = service.host();
        if (host == null) {
            throw new ProblemException(503, "Node not started", service.startFailure(), null);
        }
        ReplicaLoop.join(host.loop().readBarrier(ReadOnlyOption.ReadOnlySafe, StateAccess.READ_TIMEOUT));
        Captured captured = ReplicaLoop.join(host.loop().query(
                r -> new Captured(stateMachine.captureSnapshot(), r.appliedIndex()), StateAccess.READ_TIMEOUT));
        SnapshotImage body = Backups.image(captured.state(), captured.appliedIndex(), host.identity().clusterId());
        String sha256 = HexFormat.of().formatHex(Sha256.of(body).toByteArray());
        StreamingOutput stream = out -> {
            SlicedWrites sliced = new SlicedWrites(out);
            body.writeTo(sliced);
            sliced.flush();
        };
        long revision = captured.state().revision();
        return Response.ok(stream)
                .header(REVISION_HEADER, revision)
                .header(SHA256_HEADER, sha256)
                .header("Content-Length", body.sizeBytes())
                .header("Content-Disposition", "attachment; filename=\"latchkey-" + revision + ".snapshot\"")
                .build();
    }
}
