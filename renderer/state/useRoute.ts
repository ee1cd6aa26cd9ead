import { useCallback, useEffect, useState } from 'react';
import { hashForScreen, screenForShortcut, screenFromHash, type ScreenId } from './routes';

/** The current screen lives in the URL hash, so a reload (or the back button) keeps it. */
export function useRoute(): { screen: ScreenId; navigate(screen: ScreenId): void } {
  const [screen, setScreen] = useState<ScreenId>(() => screenFromHash(window.location.hash));

  useEffect(() => {
    const onHashChange = () => setScreen(screenFromHash(window.location.hash));
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  const navigate = useCallback((next: ScreenId) => {
    if (window.location.hash !== hashForScreen(next)) window.location.hash = hashForScreen(next);
    setScreen(next);
  }, []);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      const target = screenForShortcut(event);
      if (!target) return;
      event.preventDefault();
      navigate(target);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [navigate]);

  return { screen, navigate };
}
