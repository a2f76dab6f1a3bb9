package io.latchkey.api;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.JsonbConfig;
import jakarta.ws.rs.ext.ContextResolver;
import jakarta.ws.rs.ext.Provider;

/**
 * JSON-B for the resources: a body with a field the request does not take is refused (400
 * naming the field, see {@link ProblemMapper}) instead of ignored, as the schemas'
 * {@code additionalProperties: false} say. One {@link Jsonb} for every request: Yasson keeps
 * what it learnt of each record type in it.
 */
@Provider
public class StrictJsonb implements ContextResolver<Jsonb> {
    /** Yasson's switch; JSON-B itself has no standard one. */
    private static final String FAIL_ON_UNKNOWN_PROPERTIES = "jsonb.fail-on-unknown-properties";

    /** Also what {@link JsonbRecordWriter} writes with. */
    static final Jsonb JSONB = JsonbBuilder.create(new JsonbConfig().setProperty(FAIL_ON_UNKNOWN_PROPERTIES, true));

    @Override
    public Jsonb getContext(Class<?> type) {
        return JSONB;
    }
}
