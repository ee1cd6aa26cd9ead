import { ScreenHeader } from '../../components/ScreenHeader';
import { AppearanceCard } from './AppearanceCard';
import { DiagnosticsCard } from './DiagnosticsCard';
import { EngineCard } from './EngineCard';
import { InferenceCard } from './InferenceCard';
import { NetworkCard } from './NetworkCard';
import { StorageCard } from './StorageCard';
import type { ThemeControl } from './AppearanceCard';

export function SettingsScreen({ theme }: { theme: ThemeControl }) {
  return (
    <div className="screen">
      <ScreenHeader title="Settings" subtitle="The engine on this machine, appearance and diagnostics." />
      <div className="screen-body stack">
        <EngineCard />
        <InferenceCard />
        <NetworkCard />
        <AppearanceCard theme={theme} />
        <DiagnosticsCard />
        <StorageCard />
      </div>
    </div>
  );
}
