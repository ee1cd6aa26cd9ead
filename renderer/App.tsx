import type { RendererTransport } from './api';
import { CrashBanner } from './components/CrashBanner';
import { Sidebar } from './components/Sidebar';
import { TokenRequired } from './components/TokenRequired';
import { ChatScreen } from './screens/chat/ChatScreen';
import { CompareScreen } from './screens/compare/CompareScreen';
import { FinetuneScreen } from './screens/finetune/FinetuneScreen';
import { ModelsScreen } from './screens/models/ModelsScreen';
import { SettingsScreen } from './screens/settings/SettingsScreen';
import { ApiProvider, useConnection } from './state/ApiContext';
import { EngineStatusProvider } from './state/EngineContext';
import type { ScreenId } from './state/routes';
import { useRoute } from './state/useRoute';
import { useTheme } from './state/useTheme';

function CurrentScreen({ screen, navigate, theme }: { screen: ScreenId; navigate(s: ScreenId): void; theme: ReturnType<typeof useTheme> }) {
  switch (screen) {
    case 'chat':
      return <ChatScreen onOpenModels={() => navigate('models')} />;
    case 'compare':
      return <CompareScreen />;
    case 'models':
      return <ModelsScreen />;
    case 'finetune':
      return <FinetuneScreen />;
    case 'settings':
      return <SettingsScreen theme={theme} />;
  }
}

function Frame({ theme }: { theme: ReturnType<typeof useTheme> }) {
  const { screen, navigate } = useRoute();
  const connection = useConnection();
  if (connection === 'unauthorized') return <TokenRequired reason="unauthorized" />;
  return (
    <div className="app">
      <Sidebar current={screen} onNavigate={navigate} />
      <main className="content" data-screen={screen}>
        <CrashBanner />
        <CurrentScreen key={screen} screen={screen} navigate={navigate} theme={theme} />
      </main>
    </div>
  );
}

export function App({ transport }: { transport: RendererTransport | null }) {
  const theme = useTheme();
  if (!transport) return <TokenRequired reason="missing_token" />;
  return (
    <ApiProvider transport={transport}>
      <EngineStatusProvider>
        <Frame theme={theme} />
      </EngineStatusProvider>
    </ApiProvider>
  );
}
