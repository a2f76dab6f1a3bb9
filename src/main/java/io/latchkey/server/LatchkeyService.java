package io.latchkey.server;

import io.helidon.Main;
import io.helidon.common.Weighted;
import io.helidon.microprofile.server.ServerCdiExtension;
import io.helidon.spi.HelidonShutdownHandler;
import io.latchkey.config.NodeSettings;
import io.latchkey.logging.LogFormatter;
import io.latchkey.node.StateMachine;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import org.eclipse.microprofile.config.Config;

import java.lang.System.Logger.Level;
import java.time.Duration;

/**
 * The node inside the Helidon MP container: starts the {@link ReplicaHost} before the
 * listeners open and stops it with the container. A node that cannot start (a database that
 * is down, a bad setting) keeps serving health endpoints that say why, instead of retrying in
 * a loop of stack traces; its liveness check fails so that the orchestrator restarts it.
 */
@ApplicationScoped
public class LatchkeyService {
    private static final System.Logger LOG = System.getLogger(LatchkeyService.class.getName());

    private final Config config;
    private final StateMachine stateMachine;
    private final HelidonShutdownHandler leadershipHandover = new LeadershipHandover();
    private ReplicaHost host;
    private Duration handoverWait = Duration.ZERO;
    private String startFailure;

    @Inject
    public LatchkeyService(Config config, StateMachine stateMachine) {
        this.config = config;
        this.stateMachine = stateMachine;
    }

    /** Runs before the web server starts (it starts later in the same phase). */
    void onStartup(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        host();
        Main.addShutdownHandler(leadershipHandover);
    }

    /**
     * Right after the web server's start (Helidon 4.4.0 starts it observing this event at
     * priority {@code PLATFORM_AFTER + 100}): a listener that could not bind its port (in use)
     * makes Helidon log the error, close every listener and carry on. The replica would go on
     * too, as a member that campaigns but that no peer and no client can reach. The node exits
     * instead, with a failure status a supervisor sees.
     */
    void onServerStarted(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER + 101) @Initialized(ApplicationScoped.class)
                         Object ignored, BeanManager beans) {
        if (beans.getExtension(ServerCdiExtension.class).port() >= 0) {
            return;
        }
        LOG.log(Level.ERROR, "the node's listeners did not start (see the error above, e.g. a port in use); exiting");
        // Not on this thread: the exit runs the shutdown hooks, which stop the container this
        // thread is still starting.
        Thread.ofPlatform().name("latchkey-exit").start(() -> System.exit(1));
    }

    /**
     * On SIGTERM a leader hands leadership over before anything stops: Helidon runs shutdown
     * handlers by weight, so this one runs while the peer listener still takes the new leader's
     * messages, before the handler that stops the server and the CDI container.
     */
    private final class LeadershipHandover implements HelidonShutdownHandler, Weighted {
        @Override
        public void shutdown() {
            ReplicaHost running;
            Duration wait;
            synchronized (LatchkeyService.this) {
                running = host;
                wait = handoverWait;
            }
            if (running != null && wait.isPositive()) {
                running.handOverLeadership(wait);
            }
        }

        @Override
        public double weight() {
            return Weighted.DEFAULT_WEIGHT * 10;
        }
    }

    /** The running node, or null if it could not start; see {@link #startFailure()}. */
    public synchronized ReplicaHost host() {
        if (host == null && startFailure == null) {
            try {
                NodeSettings settings = NodeSettings.from(config);
                host = ReplicaHost.start(settings, stateMachine);
                handoverWait = settings.leadershipHandoverWait();
                LogFormatter.nodeStarted(Long.toHexString(host.identity().nodeId()));
                LOG.log(Level.INFO, "node {0} of cluster {1} started; peers on port {2}",
                        Long.toHexString(host.identity().nodeId()), Long.toHexString(host.identity().clusterId()),
                        String.valueOf(settings.peerPort()));
            } catch (RuntimeException e) {
                startFailure = e.getMessage() == null ? e.toString() : e.getMessage();
                LOG.log(Level.ERROR, "the node did not start: " + startFailure);
            }
        }
        return host;
    }

    /** Why the node did not start, or null. */
    public synchronized String startFailure() {
        return startFailure;
    }

    @PreDestroy
    synchronized void stop() {
        // Set first: a late caller (the leader-duties thread, a request in flight) must not
        // start the node again while the JVM shuts down.
        startFailure = "the node is shutting down";
        Main.removeShutdownHandler(leadershipHandover);
        if (host != null) {
            host.close();
            host = null;
        }
    }
}
