package dev.caxton.wasm.metering;

/**
 * Where one section of a module binary lies.
 *
 * @param id           the section id
 * @param start        the offset of its id byte
 * @param payloadStart the offset of its first payload byte
 * @param entriesStart for sections that are a vector, the offset just past the count; else the payload start
 * @param count        the number of entries for vector sections, else 0
 * @param end          the offset just past its payload
 */
public record Section(int id, int start, int payloadStart, int entriesStart, int count, int end) {
}
