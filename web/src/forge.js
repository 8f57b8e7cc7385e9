// Forge-only code. main.js loads this module with a dynamic import, and only inside Jira,
// because @forge/bridge throws at load time when the Custom UI bridge is missing.
import { invokeRemote, router, view } from '@forge/bridge';

export { invokeRemote, router, view };
