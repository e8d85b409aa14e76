/**
 * The FIPA message transport envelope (SC00085): {@link dev.caxton.fipa.envelope.FipaEnvelope} and its
 * XML encoding, {@link dev.caxton.fipa.envelope.EnvelopeXml}.
 */
package dev.caxton.fipa.envelope;
