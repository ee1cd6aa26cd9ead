/**
 * Hostile model output for the XSS suite: raw HTML, event handlers, script URLs, resource loads, mutation-XSS,
 * KaTeX commands that make links, images, classes or styles (\href, \url, \includegraphics, \html…), a macro bomb,
 * and code blocks that try to break out of their fence. Every payload that could run code calls alert (a dialog
 * is a failure); every one that could load something points at its own host under .invalid (any request that leaves
 * the app's server is a failure). Varied on purpose: a scripted model cannot repeat a long stretch with two endings.
 * Split in two halves: one scripted model thinks the first half and answers the second, another the other way round,
 * so each payload is shown both in a thought and in an answer.
 */
export const XSS_PAYLOADS_A = [
  '<script>alert(1)</script>',
  '<img src=a onerror="alert(2)">',
  '<svg onload="alert(3)"><circle r=9></svg>',
  '<iframe src="javascript:alert(4)"></iframe>',
  '[run](javascript:alert(5))',
  '[data](data:text/html,<script>alert(6)</script>)',
  '![pixel](http://pixel.invalid/pixel.png)',
  '<a href="javascript:alert(8)">anchor</a>',
  '<style>body{background:url(http://bodystyle.invalid/style)}</style>',
  '<link rel=stylesheet href=http://sheet.invalid/sheet.css>',
  '<object data="http://object.invalid/object"></object>',
  '<math><mtext><table><mglyph><style><img src=c onerror=alert(12)>',
  '$\\href{javascript:alert(13)}{click}$',
  '$\\url{javascript:alert(14)}$',
  '$\\htmlClass{evil}{x}$',
  '$\\includegraphics{http://graphic.invalid/graphic.png}$',
  '```html\n<script>alert(17)</script>\n```',
];

export const XSS_PAYLOADS_B = [
  '$\\htmlStyle{color:red;background-image:url(http://katexstyle.invalid/k)}{y}$',
  '$\\htmlId{evil}{y}$',
  '$\\htmlData{foo=bar}{y}$',
  '$$\n\\href{javascript:alert(21)}{\\boxed{1}}\n$$',
  '$\\def\\a{\\a\\a}\\a$',
  '```js\n</code></pre><img src=d onerror=alert(23)>\n```',
  '```"><img src=e onerror=alert(24)>\nplain\n```',
  '<details open ontoggle="alert(25)">d</details>',
  '<form action="http://form.invalid/form"><button>go</button></form>',
  '<base href="http://base.invalid/">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(28)">',
  '[vb](vbscript:msgbox(29))',
  '\\boxed{<img src=f onerror=alert(30)>}',
  '<input autofocus onfocus="alert(31)">',
  '<video><source onerror="alert(32)"></video>',
  '<div style="background:url(http://inline.invalid/inline)">styled</div>',
  '$\\text{\\textcolor{red}{<b onmouseover=alert(34)>}}$',
];

/** The reply of a scripted model: one half as its thought, the other as its answer. */
export function xssScript(thought: string[], answer: string[]): string {
  return `${thought.join('\n\n')}\n</think>\n\n${answer.join('\n\n')}`;
}

/** Every element that may appear inside a rendered reply: Markdown's, the code block's, KaTeX's HTML, MathML and SVG. */
export const ALLOWED_ELEMENTS = new Set([
  'div', 'p', 'span', 'a', 'code', 'pre', 'button', 'strong', 'em', 'del', 'ul', 'ol', 'li', 'blockquote', 'hr', 'br',
  'table', 'thead', 'tbody', 'tr', 'th', 'td', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'sup', 'sub',
  'math', 'semantics', 'annotation', 'mrow', 'mi', 'mo', 'mn', 'ms', 'mtext', 'mspace', 'msup', 'msub', 'msubsup',
  'mfrac', 'msqrt', 'mroot', 'mstyle', 'mpadded', 'mphantom', 'menclose', 'mover', 'munder', 'munderover', 'mtable',
  'mtr', 'mtd', 'svg', 'path', 'line',
]);
