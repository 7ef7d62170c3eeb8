// @agentkit/client: the generated types and the bundled specs are inlined.
import { packageConfig } from '../../scripts/tsup-package.js';

export default packageConfig();
