/**
 * A reference Ops-Core for development and tests: implements `openapi/opscore.yaml` in memory.
 * It is not Ops-Core. Its read-only view (`/_reference`, `/_reference/received`) and fault
 * controls (`/_reference/faults`) are not part of Ops-Core's API.
 */
export { createOpsCoreReference } from './app.js';
export type { OpsCoreReference, OpsCoreReferenceOptions, RunningReference } from './app.js';
export type { FaultSpec, FaultTarget } from './faults.js';
export type { NotificationRecord, ReceivedAgent, ReceivedSnapshot, RequestRecord, StateRecord } from './store.js';
