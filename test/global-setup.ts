import type { TestProject } from "vitest/node";

export default async function setup(project: TestProject) {
  project.provide("workerBindings", { SMOKE: "yes" });
  return async () => {};
}

declare module "vitest" {
  export interface ProvidedContext {
    workerBindings: Record<string, string>;
  }
}
