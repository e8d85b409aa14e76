package dev.caxton.testkit.verify;

import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.serializer.SerializerProvider;
import dev.caxton.spi.storage.StorageProvider;
import dev.caxton.spi.transport.TransportProvider;
import dev.caxton.testkit.engine.EngineConformance;
import dev.caxton.testkit.membership.MembershipConformance;
import dev.caxton.testkit.serializer.SerializerConformance;
import dev.caxton.testkit.storage.StorageConformance;
import dev.caxton.testkit.transport.TransportConformance;

/**
 * One concrete subclass of each conformance suite whose provider is the one
 * {@link ConformanceRun} is testing. Every other hook keeps the suite's default, so what needs a
 * provider's own settings (TLS material, a cluster section) is skipped by the suite's own
 * assumptions and reported as skipped.
 */
public final class Suites {

    private Suites() {
    }

    /** The serializer suite on the provider under test. */
    public static final class Serializer extends SerializerConformance {
        /** Created by the JUnit Platform. */
        public Serializer() {
        }

        @Override
        protected SerializerProvider provider() {
            return ConformanceRun.current(SerializerProvider.class);
        }
    }

    /** The storage suite on the provider under test. */
    public static final class Storage extends StorageConformance {
        /** Created by the JUnit Platform. */
        public Storage() {
        }

        @Override
        protected StorageProvider provider() {
            return ConformanceRun.current(StorageProvider.class);
        }
    }

    /** The engine suite on the provider under test. */
    public static final class Engine extends EngineConformance {
        /** Created by the JUnit Platform. */
        public Engine() {
        }

        @Override
        protected WasmEngineProvider provider() {
            return ConformanceRun.current(WasmEngineProvider.class);
        }
    }

    /** The transport suite on the provider under test. */
    public static final class Transport extends TransportConformance {
        /** Created by the JUnit Platform. */
        public Transport() {
        }

        @Override
        protected TransportProvider provider() {
            return ConformanceRun.current(TransportProvider.class);
        }
    }

    /** The membership suite on the provider under test; its cluster cases need a section and are skipped. */
    public static final class Membership extends MembershipConformance {
        /** Created by the JUnit Platform. */
        public Membership() {
        }

        @Override
        protected MembershipProvider provider() {
            return ConformanceRun.current(MembershipProvider.class);
        }
    }

    /** The trace exporter suite on the provider under test; with an empty section its export may be refused. */
    public static final class Trace extends dev.caxton.testkit.trace.SpanExporterConformance {
        /** Created by the JUnit Platform. */
        public Trace() {
        }

        @Override
        protected dev.caxton.spi.trace.SpanExporterProvider provider() {
            return ConformanceRun.current(dev.caxton.spi.trace.SpanExporterProvider.class);
        }
    }
}
