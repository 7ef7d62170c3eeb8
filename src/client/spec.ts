import agentkit from '../../generated/openapi/agentkit.json' with { type: 'json' };
import opscore from '../../generated/openapi/opscore.json' with { type: 'json' };

/** An OpenAPI document as plain JSON. */
export type OpenApiDocument = Readonly<Record<string, unknown>>;

/**
 * AgentKit's spec, bundled into one OpenAPI 3.1 document (what the server validates against).
 * Ships with the client so that consumers validate what AgentKit sends against the same contract.
 */
export const agentkitSpec: OpenApiDocument = agentkit;

/** Ops-Core's API as AgentKit relies on it, bundled into one OpenAPI 3.1 document. */
export const opscoreSpec: OpenApiDocument = opscore;
