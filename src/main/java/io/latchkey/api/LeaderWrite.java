package io.latchkey.api;

import jakarta.ws.rs.NameBinding;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a write of the replicated state, which only the leader stamps: on another node
 * {@link LeaderForwarding} passes the request on to the leader. Name-bound, so reads pay
 * nothing for it.
 */
@NameBinding
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
public @interface LeaderWrite {
}
