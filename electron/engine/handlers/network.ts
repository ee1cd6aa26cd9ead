/** `network.setOffline`: Offline mode in the engine process (the services ask it whenever the engine is ready). */
import { registerHandler } from '../registry';
import { applyOfflineEnv, netGuardState, setNetworkBlocked } from '../../downloads/net-guard';

applyOfflineEnv();

registerHandler('network.setOffline', async ({ offline }) => {
  // A test guard (DISTILLERY_NET_GUARD_LOG) stays on whatever the setting says.
  setNetworkBlocked(offline || Boolean(process.env.DISTILLERY_NET_GUARD_LOG));
  return { offline, attempts: netGuardState().attempts };
});
