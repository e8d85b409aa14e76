package dev.caxton.runtime.plugin;

/**
 * One provider as {@code caxton plugins list} shows it.
 *
 * @param spi         the SPI it implements: {@code engine}, {@code transport}, {@code serializer},
 *                    {@code membership} or {@code storage}
 * @param name        the name the configuration selects it by
 * @param module      the JPMS module it lives in ({@code unnamed} on the class path)
 * @param version     the module's version, or {@code unknown}
 * @param description the provider's one-line description
 * @param location    where it was loaded from: {@code image} (linked in or on the module/class path)
 *                    or the plugin folder
 */
public record PluginInfo(String spi, String name, String module, String version, String description,
                         String location) {
}
