/**
 * The one Content-Security-Policy of the renderer: the desktop app's app:// responses, the headless server's header
 * and the meta tag in the built index.html all use this. No Node or DOM imports (the build config imports it too).
 * Each relaxation from "everything from the app itself, nothing inline" says why it is there.
 */

const DIRECTIVES: [string, string][] = [
  ['default-src', "'self'"],
  ['script-src', "'self'"],
  ['style-src', "'self'"],
  // KaTeX (math in replies) positions every glyph with an inline style="…" attribute, and React `style` props are
  // attributes too. Only attributes are allowed inline; <style> elements and inline scripts stay refused.
  ['style-src-attr', "'unsafe-inline'"],
  // data: images: the icons the stylesheet embeds as data URLs. Not remote images (model output is untrusted text).
  ['img-src', "'self' data:"],
  ['font-src', "'self'"],
  ['connect-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-ancestors', "'none'"],
];

/** The policy as a response header value. */
export const CONTENT_SECURITY_POLICY = DIRECTIVES.map(([name, value]) => `${name} ${value}`).join('; ');

/** In a <meta> tag: the same minus frame-ancestors, which browsers ignore (with a warning) outside a header. */
export const CONTENT_SECURITY_POLICY_META = DIRECTIVES.filter(([name]) => name !== 'frame-ancestors')
  .map(([name, value]) => `${name} ${value}`)
  .join('; ');

/**
 * The dev server only (`npm run dev`): React refresh injects an inline script and Vite injects <style> elements and
 * talks over a websocket. Never used by a build.
 */
export const DEV_CONTENT_SECURITY_POLICY = DIRECTIVES.filter(([name]) => name !== 'frame-ancestors')
  .map(([name, value]) => {
    if (name === 'script-src') return `${name} 'self' 'unsafe-inline'`;
    if (name === 'style-src') return `${name} 'self' 'unsafe-inline'`;
    if (name === 'connect-src') return `${name} 'self' ws://localhost:* http://localhost:*`;
    return `${name} ${value}`;
  })
  .join('; ');
