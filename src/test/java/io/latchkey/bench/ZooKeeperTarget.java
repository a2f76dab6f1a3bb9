package io.latchkey.bench;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * ZooKeeper through Curator: one session per benchmark client, client i connected to server
 * i mod n only (ZooKeeper serves reads locally and sends writes to the leader itself).
 * Put = setData on one of 1024 znodes; serializable get = getData (the connected server's
 * state); linearizable get = sync then getData; locks = {@link InterProcessMutex}.
 */
final class ZooKeeperTarget implements Target {
    private static final String ROOT = "/bench";

    private final List<String> servers;
    private final ConcurrentHashMap<Integer, CuratorFramework> sessions = new ConcurrentHashMap<>();
    private boolean keysWritten;

    ZooKeeperTarget(List<String> servers) {
        this.servers = List.copyOf(servers);
    }

    private CuratorFramework session(int index) throws InterruptedException, IOException {
        CuratorFramework existing = sessions.get(index);
        if (existing != null) {
            return existing;
        }
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(servers.get(index % servers.size()))
                .sessionTimeoutMs(30_000)
                .connectionTimeoutMs(10_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 5))
                .build();
        client.start();
        if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
            client.close();
            throw new IOException("no ZooKeeper session with " + servers.get(index % servers.size()));
        }
        sessions.put(index, client);
        return client;
    }

    @Override
    public String name() {
        return "zookeeper";
    }

    @Override
    public String routing() {
        return "one Curator session per client, client i on server i mod " + servers.size();
    }

    @Override
    public boolean supports(Scenario scenario) {
        return scenario != Scenario.GET_LEASE;
    }

    @Override
    public void prepare(Scenario scenario) throws Exception {
        if ((scenario == Scenario.PUT || scenario.label.startsWith("get")) && !keysWritten) {
            CuratorFramework client = session(0);
            for (int k = 0; k < Scenario.KEYS; k++) {
                try {
                    client.create().creatingParentsIfNeeded().forPath(path(k), Scenario.value(0, k));
                } catch (KeeperException.NodeExistsException e) {
                    client.setData().forPath(path(k), Scenario.value(0, k));
                }
            }
            keysWritten = true;
        }
    }

    private static String path(int key) {
        return ROOT + "/" + Scenario.key(key).substring("bench/".length());
    }

    @Override
    public LoadHarness.Client client(Scenario scenario, int index) throws Exception {
        CuratorFramework client = session(index);
        return switch (scenario) {
            case PUT -> new LoadHarness.Client() {
                long seq;

                @Override
                public void op() throws Exception {
                    client.setData().forPath(path(ThreadLocalRandom.current().nextInt(Scenario.KEYS)), Scenario.value(index, seq++));
                }
            };
            case GET_SERIALIZABLE -> () -> client.getData().forPath(path(ThreadLocalRandom.current().nextInt(Scenario.KEYS)));
            case GET_LINEARIZABLE -> () -> {
                String path = path(ThreadLocalRandom.current().nextInt(Scenario.KEYS));
                ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
                CompletableFuture<Integer> synced = new CompletableFuture<>();
                zk.sync(path, (rc, p, ctx) -> synced.complete(rc), null);
                int rc = synced.get(30, TimeUnit.SECONDS);
                if (rc != KeeperException.Code.OK.intValue()) {
                    throw KeeperException.create(KeeperException.Code.get(rc), path);
                }
                client.getData().forPath(path);
            };
            case GET_LEASE -> throw new IllegalArgumentException("ZooKeeper has no lease-based read");
            case LOCK_UNCONTENDED -> mutexCycle(new InterProcessMutex(client, ROOT + "/locks/u-" + index));
            case LOCK_CONTENDED -> mutexCycle(new InterProcessMutex(client, ROOT + "/locks/contended"));
        };
    }

    private static LoadHarness.Client mutexCycle(InterProcessMutex mutex) {
        return () -> {
            if (!mutex.acquire(120, TimeUnit.SECONDS)) {
                throw new IOException("lock not acquired within 120 s");
            }
            mutex.release();
        };
    }

    @Override
    public void close() {
        sessions.values().forEach(CuratorFramework::close);
        sessions.clear();
    }
}
