/**
 * The FIPA-ACL message model shared by every SPI and by agents: the {@link
 * dev.caxton.spi.message.Envelope}, its 22 {@link dev.caxton.spi.message.Performative}s and its
 * {@link dev.caxton.spi.message.Priority} classes. The field names and wire spellings are those of
 * the guest ABI v1 (docs/agent-abi.md).
 */
package dev.caxton.spi.message;
