import type { ReactNode } from 'react';
import { SCREENS, shortcutLabel, type ScreenId } from '../state/routes';
import { ChatIcon, CompareIcon, FinetuneIcon, LogoIcon, ModelsIcon, SettingsIcon } from './Icons';
import { StatusIndicator } from './StatusIndicator';

const ICONS: Record<ScreenId, ReactNode> = {
  chat: <ChatIcon />,
  compare: <CompareIcon />,
  models: <ModelsIcon />,
  finetune: <FinetuneIcon />,
  settings: <SettingsIcon />,
};

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

export function Sidebar({ current, onNavigate }: { current: ScreenId; onNavigate(screen: ScreenId): void }) {
  return (
    <aside className="sidebar">
      <div className="brand">
        <span className="brand-mark">
          <LogoIcon width={20} height={20} />
        </span>
        <span className="brand-name">Distillery</span>
      </div>
      <nav className="nav" aria-label="Main">
        {SCREENS.map((screen, index) => (
          <a
            key={screen.id}
            href={`#/${screen.id}`}
            className="nav-item"
            aria-current={screen.id === current ? 'page' : undefined}
            title={`${screen.hint} (${shortcutLabel(index, isMac)})`}
            onClick={(event) => {
              event.preventDefault();
              onNavigate(screen.id);
            }}
          >
            <span className="nav-icon">{ICONS[screen.id]}</span>
            <span className="nav-label">{screen.label}</span>
            <kbd className="nav-shortcut">{shortcutLabel(index, isMac)}</kbd>
          </a>
        ))}
      </nav>
      <div className="sidebar-foot">
        <StatusIndicator />
      </div>
    </aside>
  );
}
