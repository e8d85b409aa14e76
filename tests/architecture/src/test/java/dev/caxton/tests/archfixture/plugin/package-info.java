/** Fixtures for the architecture rules: classes that stand in for a plugin's. */
package dev.caxton.tests.archfixture.plugin;
