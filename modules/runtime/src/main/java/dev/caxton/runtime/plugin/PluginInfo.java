package dev.caxton.runtime.plugin;

import java.util.List;

/**
 * One provider as {@code caxton plugins list} shows it, usable or refused.
 *
 * @param spi          the SPI it implements: {@code engine}, {@code transport}, {@code serializer},
 *                     {@code membership} or {@code storage}
 * @param name         the name the configuration selects it by (for a refused folder whose provider
 *                     could not be created: the folder's last word, which the naming rule makes the
 *                     provider's name)
 * @param module       the JPMS module it lives in ({@code unnamed} on the class path)
 * @param version      the module's version, or {@code unknown}
 * @param description  the provider's one-line description (empty when refused before it was created)
 * @param location     where it was loaded from: {@code image} (linked in or on the module/class path)
 *                     or the plugin folder
 * @param spiRange     the SPI range its manifest declares ({@code Caxton-Spi-Range}), or {@code -}
 *                     when it declares none or is part of the image
 * @param nativeAccess the modules of its folder granted native access ({@code Caxton-Native-Access})
 * @param refusal      why the node refuses it (names the folder and the cause), or null when usable
 */
public record PluginInfo(String spi, String name, String module, String version, String description,
                         String location, String spiRange, List<String> nativeAccess, String refusal) {

    /**
     * A usable provider found in the image, with no declared range.
     *
     * @param spi         the SPI label
     * @param name        the provider name
     * @param module      the module name
     * @param version     the module version
     * @param description the description
     * @param location    where it was found
     */
    public PluginInfo(String spi, String name, String module, String version, String description, String location) {
        this(spi, name, module, version, description, location, "-", List.of(), null);
    }

    /** Copies the list so the record stays immutable. */
    public PluginInfo {
        nativeAccess = List.copyOf(nativeAccess);
    }

    /**
     * Whether the node can use it.
     *
     * @return true unless refused
     */
    public boolean usable() {
        return refusal == null;
    }

    /**
     * The state as listed: {@code ok}, or {@code refused: } and the reason.
     *
     * @return the state
     */
    public String state() {
        return refusal == null ? "ok" : "refused: " + refusal;
    }
}
