export * from "./blueprint.ts";
export * from "./expression.ts";
export * from "./registry.ts";
export * from "./scheduler.ts";
export * from "./simulate.ts";
export type * from "./transport.ts";
export * from "./engine.ts";
export * from "./reconciler.ts";
