import type { ReactNode } from 'react';
import { Card } from '../../components/Card';
import { MonitorIcon, MoonIcon, SunIcon } from '../../components/Icons';
import type { ResolvedTheme, ThemePreference } from '../../state/theme';

export interface ThemeControl {
  preference: ThemePreference;
  resolved: ResolvedTheme;
  setPreference(preference: ThemePreference): void;
}

const OPTIONS: { value: ThemePreference; label: string; icon: ReactNode }[] = [
  { value: 'light', label: 'Light', icon: <SunIcon /> },
  { value: 'dark', label: 'Dark', icon: <MoonIcon /> },
  { value: 'system', label: 'System', icon: <MonitorIcon /> },
];

export function AppearanceCard({ theme }: { theme: ThemeControl }) {
  return (
    <Card title="Appearance" description="Follow the system or pick a theme. Remembered on this device.">
      <div className="segmented" role="radiogroup" aria-label="Theme">
        {OPTIONS.map((option) => (
          <button
            key={option.value}
            type="button"
            role="radio"
            aria-checked={theme.preference === option.value}
            className="segment"
            onClick={() => theme.setPreference(option.value)}
          >
            {option.icon}
            <span>{option.label}</span>
          </button>
        ))}
      </div>
    </Card>
  );
}
