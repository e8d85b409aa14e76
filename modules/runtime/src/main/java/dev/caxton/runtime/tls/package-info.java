/**
 * TLS identities from PEM files that renewers replace while the node runs: one watcher shared by
 * every listener that serves TLS (the API and metrics listeners, the FIPA HTTP MTP), so they all
 * check and take a renewed certificate the same way.
 */
package dev.caxton.runtime.tls;
