export { createSandboxEngine, type SandboxEngineOptions } from './engine.ts';
export { generateSandboxOutput, PLANTED_ORDERS, SANDBOX_VARIANTS, type GenerateOptions } from './generate-data.ts';
