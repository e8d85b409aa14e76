package dev.caxton.runtime.metrics;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.util.List;

/**
 * The JVM's own metrics, read from its management beans at scrape time (nothing is recorded in
 * between). Names follow Prometheus' JVM conventions ({@code jvm_*}, {@code process_*}) so
 * existing JVM dashboards work.
 */
public final class JvmMetrics {

    private JvmMetrics() {
    }

    /**
     * Writes the JVM families.
     *
     * @param x the exposition to write into
     */
    public static void write(Exposition x) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        MemoryUsage heap = memory.getHeapMemoryUsage();
        MemoryUsage nonHeap = memory.getNonHeapMemoryUsage();
        x.family("jvm_memory_used_bytes", "gauge", "Memory in use by area.")
                .sample("jvm_memory_used_bytes", heap.getUsed(), "area", "heap")
                .sample("jvm_memory_used_bytes", nonHeap.getUsed(), "area", "nonheap");
        x.family("jvm_memory_committed_bytes", "gauge", "Memory committed by area.")
                .sample("jvm_memory_committed_bytes", heap.getCommitted(), "area", "heap")
                .sample("jvm_memory_committed_bytes", nonHeap.getCommitted(), "area", "nonheap");
        x.family("jvm_memory_max_bytes", "gauge", "Most memory the area may use; -1 when unbounded.")
                .sample("jvm_memory_max_bytes", heap.getMax(), "area", "heap")
                .sample("jvm_memory_max_bytes", nonHeap.getMax(), "area", "nonheap");

        List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans();
        x.family("jvm_memory_pool_used_bytes", "gauge", "Memory in use by pool.");
        for (MemoryPoolMXBean p : pools) {
            x.sample("jvm_memory_pool_used_bytes", p.getUsage().getUsed(), "pool", p.getName());
        }
        x.family("jvm_memory_pool_max_bytes", "gauge", "Most memory the pool may use; -1 when unbounded.");
        for (MemoryPoolMXBean p : pools) {
            x.sample("jvm_memory_pool_max_bytes", p.getUsage().getMax(), "pool", p.getName());
        }
        x.family("jvm_buffer_pool_used_bytes", "gauge", "Memory used by direct and mapped buffers.");
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            x.sample("jvm_buffer_pool_used_bytes", b.getMemoryUsed(), "pool", b.getName());
        }

        List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
        x.family("jvm_gc_collections_total", "counter", "Collections run by each garbage collector.");
        for (GarbageCollectorMXBean gc : gcs) {
            x.sample("jvm_gc_collections_total", Math.max(0, gc.getCollectionCount()), "gc", gc.getName());
        }
        x.family("jvm_gc_collection_seconds_total", "counter", "Time each garbage collector spent collecting.");
        for (GarbageCollectorMXBean gc : gcs) {
            x.sample("jvm_gc_collection_seconds_total", Math.max(0, gc.getCollectionTime()) / 1000.0, "gc", gc.getName());
        }

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        x.gauge("jvm_threads_current", "Platform threads alive.", threads.getThreadCount());
        x.gauge("jvm_threads_daemon", "Daemon platform threads alive.", threads.getDaemonThreadCount());
        x.gauge("jvm_threads_peak", "Most platform threads alive at once since start.", threads.getPeakThreadCount());
        x.counter("jvm_threads_started_total", "Platform threads started since start.", threads.getTotalStartedThreadCount());

        var os = ManagementFactory.getOperatingSystemMXBean();
        x.gauge("process_available_processors", "Processors available to the JVM.", os.getAvailableProcessors());
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            long cpu = sun.getProcessCpuTime();
            if (cpu >= 0) {
                x.family("process_cpu_seconds_total", "counter", "CPU time the process used.")
                        .sample("process_cpu_seconds_total", cpu / 1e9);
            }
            double load = sun.getProcessCpuLoad();
            if (load >= 0) {
                x.gauge("process_cpu_usage", "Recent CPU use of the process, 0 to 1 of all processors.", load);
            }
        }
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            x.gauge("process_open_fds", "Open file descriptors.", unix.getOpenFileDescriptorCount());
            x.gauge("process_max_fds", "Most file descriptors the process may open.", unix.getMaxFileDescriptorCount());
        }
        x.gauge("process_start_time_seconds", "When the process started, in seconds since the epoch.",
                ManagementFactory.getRuntimeMXBean().getStartTime() / 1000.0);
        x.gauge("jvm_uptime_seconds", "Seconds since the JVM started.", ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0);
    }
}
