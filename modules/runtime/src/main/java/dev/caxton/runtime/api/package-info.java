/**
 * The values an embedder exchanges with a {@link dev.caxton.runtime.CaxtonNode}: what to deploy
 * ({@link dev.caxton.runtime.api.DeploySpec}, {@link dev.caxton.runtime.api.AgentLimits}), what a
 * deployed agent looks like ({@link dev.caxton.runtime.api.AgentInfo},
 * {@link dev.caxton.runtime.api.AgentState}) and why a deploy or a send was refused
 * ({@link dev.caxton.runtime.api.DeployException}, {@link dev.caxton.runtime.api.RoutingException},
 * {@link dev.caxton.runtime.api.SendStatus}).
 *
 * <p>They live in a package of their own, not beside {@code CaxtonNode}, because the node's internals
 * (the agent host and the router) use them too while the node uses those internals: in one package
 * with the node they would tie every internal package to it in a cycle. This package depends on the
 * SPI only.
 */
package dev.caxton.runtime.api;
