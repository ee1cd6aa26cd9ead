import type { ReactNode } from 'react';

/**
 * A link that leaves the app. In the desktop app main opens it in the user's browser if its host is allow-listed
 * (and refuses it otherwise); in a browser it opens a new tab without giving that tab a handle on this one.
 */
export function ExternalLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <a className="external-link" href={href} target="_blank" rel="noopener noreferrer">
      {children}
      <span aria-hidden="true"> ↗</span>
    </a>
  );
}
