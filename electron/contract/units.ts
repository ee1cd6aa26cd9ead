/**
 * The one byte formatter, for the app, the CLI and the README alike: binary multiples written with IEC units
 * ("16.0 GiB"), the way operating systems measure RAM and file sizes, so a figure never reads differently in two
 * places. Lives beside the contract because the renderer may import nothing else from the core.
 */
const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 17179869184 → "16.0 GiB"; 1536 → "1.5 KiB"; anything not a size → "—". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}
