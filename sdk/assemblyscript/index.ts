// Package entry: asc resolves `import ... from "caxton-agent"` to this file.
export * from "./assembly/index";
