/**
 * The bridge between a node and other FIPA platforms: {@link dev.caxton.fipa.FipaBridge} (ingress and
 * egress over the HTTP MTP) and {@link dev.caxton.fipa.FipaMapping} (ACL message to Caxton envelope and back).
 */
package dev.caxton.fipa;
