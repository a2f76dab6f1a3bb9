package io.latchkey.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Waits for events with a deadline instead of sleeping: returns as soon as they are there. */
final class Await {
    private Await() {
    }

    /** The next element, or an AssertionError after {@code timeout}. */
    static <T> T next(BlockingQueue<T> queue, Duration timeout) throws InterruptedException {
        T element = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (element == null) {
            throw new AssertionError("nothing arrived within " + timeout);
        }
        return element;
    }

    /** The next {@code count} elements, all within {@code deadline} counted from now. */
    static <T> List<T> next(BlockingQueue<T> queue, int count, Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        List<T> elements = new ArrayList<>(count);
        while (elements.size() < count) {
            T element = queue.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (element == null) {
                throw new AssertionError("only " + elements.size() + " of " + count + " arrived within " + deadline);
            }
            elements.add(element);
        }
        return elements;
    }

    /** Takes elements until one matches, within {@code deadline}; returns the match. */
    static <T> T firstMatching(BlockingQueue<T> queue, Predicate<T> match, Duration deadline)
            throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            T element = queue.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (element == null) {
                throw new AssertionError("no matching element within " + deadline);
            }
            if (match.test(element)) {
                return element;
            }
        }
    }
}
