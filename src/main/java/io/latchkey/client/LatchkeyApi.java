package io.latchkey.client;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.Encoded;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/**
 * The wire API (openapi/openapi.yaml) as a MicroProfile Rest Client interface, for applications
 * that inject it ({@code @RestClient LatchkeyApi}, base URL from
 * {@code latchkey/mp-rest/url}) or build it with {@code RestClientBuilder}. It talks to one
 * member and does not retry: {@link LatchkeyClient} adds failover, idempotent retries, lease
 * keep-alive, locks and resumable watches. Keys and lock names may contain {@code /}: pass them
 * unencoded except for characters a URL path cannot carry.
 */
@RegisterRestClient(configKey = "latchkey")
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public interface LatchkeyApi {
    String IDEMPOTENCY_KEY = "Idempotency-Key";

    @GET
    @Path("/config/{key: .+}")
    KeyValue getKey(@PathParam("key") @Encoded String key, @QueryParam("consistency") String consistency);

    @GET
    @Path("/config")
    KeyList listKeys(@QueryParam("prefix") String prefix, @QueryParam("limit") Integer limit,
                     @QueryParam("consistency") String consistency);

    /** Writes {@code value}; {@code expectedRevision}, {@code leaseId} and {@code lock}+{@code token} are optional. */
    @PUT
    @Path("/config/{key: .+}")
    @Consumes(MediaType.APPLICATION_OCTET_STREAM)
    Written putKey(@PathParam("key") @Encoded String key, byte[] value,
                   @QueryParam("expectedRevision") Long expectedRevision, @QueryParam("leaseId") Long leaseId,
                   @QueryParam("lock") String lock, @QueryParam("token") Long token,
                   @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey);

    @DELETE
    @Path("/config/{key: .+}")
    Written deleteKey(@PathParam("key") @Encoded String key, @QueryParam("expectedRevision") Long expectedRevision,
                      @QueryParam("lock") String lock, @QueryParam("token") Long token,
                      @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey);

    @GET
    @Path("/locks")
    LockList listLocks(@QueryParam("prefix") String prefix, @QueryParam("limit") Integer limit,
                       @QueryParam("consistency") String consistency);

    @POST
    @Path("/locks/{name: .+}")
    @Consumes(MediaType.APPLICATION_JSON)
    LockHeld acquireLock(@PathParam("name") @Encoded String name, Requests.Acquire request,
                         @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey);

    @GET
    @Path("/locks/{name: .+}")
    LockInfo getLock(@PathParam("name") @Encoded String name, @QueryParam("consistency") String consistency);

    @DELETE
    @Path("/locks/{name: .+}")
    void releaseLock(@PathParam("name") @Encoded String name, @QueryParam("token") long token,
                     @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey);

    @POST
    @Path("/leases")
    @Consumes(MediaType.APPLICATION_JSON)
    LeaseGrant grantLease(Requests.Grant request, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey);

    @GET
    @Path("/leases/{id}")
    LeaseInfo getLease(@PathParam("id") long id, @QueryParam("consistency") String consistency);

    @POST
    @Path("/leases/{id}/keepalive")
    LeaseKeepAlive keepAliveLease(@PathParam("id") long id, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey);

    @DELETE
    @Path("/leases/{id}")
    void revokeLease(@PathParam("id") long id, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey);

    @GET
    @Path("/cluster")
    ClusterInfo getCluster();

    @POST
    @Path("/cluster/members")
    @Consumes(MediaType.APPLICATION_JSON)
    AddedMember addMember(Requests.AddMember request);

    @DELETE
    @Path("/cluster/members/{id}")
    void removeMember(@PathParam("id") String id);

    @POST
    @Path("/cluster/members/{id}/promote")
    void promoteMember(@PathParam("id") String id);

    @POST
    @Path("/cluster/leader")
    @Consumes(MediaType.APPLICATION_JSON)
    void transferLeadership(Requests.Transfer request);
}
