/**
 * The Java client of Latchkey: {@link io.latchkey.client.LatchkeyClient} (connect to any members,
 * fail over between them, retry safely), {@link io.latchkey.client.Lease} with automatic
 * keep-alive, fenced {@link io.latchkey.client.Lock}s and resumable {@link io.latchkey.client.Watch}es;
 * {@link io.latchkey.client.LatchkeyApi} is the same wire API as a MicroProfile Rest Client
 * interface. It runs on the JDK {@code HttpClient} (HTTP/2) and JSON-B/JSON-P only and uses no
 * server class, so it ships as its own jar ({@code target/latchkey-client.jar}).
 *
 * <p>Sub-packages: {@code config} is a MicroProfile {@code ConfigSource} fed by a watch,
 * {@code cli} the {@code latchkey} command line.
 */
package io.latchkey.client;
