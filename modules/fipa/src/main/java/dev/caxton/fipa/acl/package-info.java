/**
 * The FIPA ACL string representation (SC00070): {@link dev.caxton.fipa.acl.AclCodec} parses and prints
 * {@link dev.caxton.fipa.acl.AclMessage}s, whose agents are {@link dev.caxton.fipa.acl.Aid}s.
 */
package dev.caxton.fipa.acl;
