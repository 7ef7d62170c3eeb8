// @agentkit/sdk: the shared HTTP helpers it uses (src/net/) are inlined; @agentkit/client stays an import.
import { packageConfig } from '../../scripts/tsup-package.js';

export default packageConfig();
