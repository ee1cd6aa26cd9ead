/** The app's screens, in sidebar order; Ctrl/Cmd + the position (1..5) jumps to each. */
export const SCREENS = [
  { id: 'chat', label: 'Chat', hint: 'Talk to a model and watch it think' },
  { id: 'compare', label: 'Compare', hint: 'One prompt, two model sizes' },
  { id: 'models', label: 'Models', hint: 'Build and manage local models' },
  { id: 'finetune', label: 'Fine-tune', hint: 'LoRA on your own R1 traces' },
  { id: 'settings', label: 'Settings', hint: 'Engine, appearance, diagnostics' },
] as const;

export type ScreenId = (typeof SCREENS)[number]['id'];
export const DEFAULT_SCREEN: ScreenId = 'chat';

export function isScreenId(value: string): value is ScreenId {
  return SCREENS.some((screen) => screen.id === value);
}

/** `#/settings` → settings; anything else → the default screen. Hash routes work from file:// and over HTTP alike. */
export function screenFromHash(hash: string): ScreenId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return isScreenId(id) ? id : DEFAULT_SCREEN;
}

export function hashForScreen(id: ScreenId): string {
  return `#/${id}`;
}

export interface ShortcutKey {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** Ctrl+1..5 (Cmd+1..5 on macOS) → a screen; other keys → null. */
export function screenForShortcut(event: ShortcutKey): ScreenId | null {
  if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return null;
  const index = Number.parseInt(event.key, 10) - 1;
  if (!Number.isInteger(index) || index < 0 || index >= SCREENS.length) return null;
  return SCREENS[index].id;
}

export function shortcutLabel(index: number, isMac: boolean): string {
  return `${isMac ? '⌘' : 'Ctrl+'}${index + 1}`;
}
