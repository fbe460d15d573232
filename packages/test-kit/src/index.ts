/** @coffer/test-kit: what Coffer's tests share (a devDependency of tests only). */
export * from "./browser.js";
export * from "./child-process.js";
export * from "./coffer-process.js";
export * from "./echo-upstream.js";
export * from "./eventually.js";
export * from "./listen.js";
export * from "./pg-cluster.js";
export * from "./proxies.js";
export * from "./refusal.js";
export * from "./temp-dir.js";
