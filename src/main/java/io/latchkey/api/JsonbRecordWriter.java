package io.latchkey.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyWriter;
import jakarta.ws.rs.ext.Provider;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * Writes the resources' records (bodies and problems) as JSON through the one {@link StrictJsonb}
 * instance, as Jersey's JSON-B provider does, except that Jersey's asks the injection manager for
 * the {@code ContextResolver<Jsonb>} again on every write (~2% of a serializable get's CPU,
 * BENCHMARKS.md "JAX-RS CPU per request"). Same bytes: {@code toJson}, in the media type's
 * charset (UTF-8 unless it names one). Other types are left to Jersey's writers; being a writer
 * of {@link Record}, this one is closer to a record type than Jersey's writer of Object, so
 * Jersey picks it for records.
 */
@Provider
public class JsonbRecordWriter implements MessageBodyWriter<Record> {
    @Override
    public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return type.isRecord() && (mediaType.getSubtype().equals("json") || mediaType.getSubtype().endsWith("+json"));
    }

    @Override
    public void writeTo(Record value, Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType,
                        MultivaluedMap<String, Object> headers, OutputStream entity) throws IOException {
        String charset = mediaType.getParameters().get(MediaType.CHARSET_PARAMETER);
        entity.write(StrictJsonb.JSONB.toJson(value).getBytes(charset == null ? StandardCharsets.UTF_8 : Charset.forName(charset)));
    }
}
