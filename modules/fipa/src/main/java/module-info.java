/**
 * FIPA interoperability: Caxton agents exchange ACL messages with other FIPA platforms (JADE above
 * all) over the FIPA HTTP Message Transport Protocol.
 *
 * <ul>
 *   <li>{@link dev.caxton.fipa.acl} &mdash; the ACL string representation (FIPA SC00070);</li>
 *   <li>{@link dev.caxton.fipa.envelope} &mdash; the transport envelope in XML (FIPA SC00085);</li>
 *   <li>{@link dev.caxton.fipa.mtp} &mdash; the HTTP MTP (FIPA SC00084): the {@code multipart/mixed}
 *       body, the ingress endpoint and the egress client;</li>
 *   <li>{@link dev.caxton.fipa} &mdash; the bridge between the node's router and the MTP.</li>
 * </ul>
 * It depends on the spi and the runtime only; the server wires it when {@code fipa.http_mtp.enabled}.
 */
module dev.caxton.fipa {
    requires transitive dev.caxton.runtime;
    // Content in application/json is parsed and written with the node's own JSON library.
    requires com.fasterxml.jackson.databind;
    requires java.xml;
    requires jdk.httpserver;

    exports dev.caxton.fipa;
    exports dev.caxton.fipa.acl;
    exports dev.caxton.fipa.envelope;
    exports dev.caxton.fipa.mtp;
}
