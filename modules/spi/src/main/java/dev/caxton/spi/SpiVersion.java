package dev.caxton.spi;

/**
 * The version of this SPI, {@code major.minor}, which a node compares with the range a plugin says
 * it was built for (the {@code Caxton-Spi-Range} attribute of the provider jar's manifest, e.g.
 * {@code [1.0,2.0)}).
 *
 * <p>A minor release only adds to the SPI (new types, new default methods, new optional interfaces),
 * so a plugin built against {@code 1.0} still works on {@code 1.4}; a major release may remove or
 * change what was deprecated. A plugin therefore normally declares {@code [its minor,next major)}.
 * The policy is written out in {@code docs/plugin-authors.md}.
 */
public final class SpiVersion {

    /**
     * The SPI version of this build. The parent pom's {@code caxton.spi.version} property must agree
     * (a test checks it), because the in-repository plugins derive their declared range from it.
     */
    public static final String CURRENT = "1.4";

    private SpiVersion() {
    }

    /**
     * The major part of {@link #CURRENT}.
     *
     * @return the major version
     */
    public static int major() {
        return Integer.parseInt(CURRENT.substring(0, CURRENT.indexOf('.')));
    }

    /**
     * The minor part of {@link #CURRENT}.
     *
     * @return the minor version
     */
    public static int minor() {
        return Integer.parseInt(CURRENT.substring(CURRENT.indexOf('.') + 1));
    }
}
