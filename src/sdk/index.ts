/**
 * The AgentKit agent SDK: `createAgent({ name, version, handlers, ... })` serves the agent's
 * task endpoint, registers with AgentKit, runs delivered tasks once each, and reports their
 * progress to AgentKit and the agent's state to Ops-Core.
 */
export { createAgent } from './agent.js';
export { AgentConfigError } from './config.js';
export { AgentRegistrationError } from './registration.js';
export { TaskCanceledError } from './task-canceled.js';
export { TaskFailure } from './task-failure.js';
export type {
  Agent,
  AgentOptions,
  AgentRegistrationRequest,
  AgentState,
  AgentStateUpdate,
  Logger,
  RegisteredAgent,
  RetryOptions,
  RotateOptions,
  StartedAgent,
  StopOptions,
  TaskAcceptance,
  TaskCancelNotice,
  TaskContext,
  TaskEnvelope,
  TaskErrorBody,
  TaskHandler,
  TaskHandlers,
  TaskReport,
} from './types.js';
