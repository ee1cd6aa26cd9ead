import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { isOpenableUrl, Markdown } from './Markdown';
import { splitBoxed } from './remarkBoxed';

const render = (text: string) => renderToStaticMarkup(<Markdown text={text} />);

/** Every tag name in the markup, to assert what elements exist (escaped text like &lt;script&gt; is not a tag). */
const tags = (html: string) => [...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1].toLowerCase());

describe('Markdown with hostile model output', () => {
  it('shows a <script> as text, never as an element', () => {
    const html = render('Hello <script>alert(1)</script> world');
    expect(tags(html)).not.toContain('script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('shows <img onerror> and raw HTML blocks as text', () => {
    const html = render('<img src=x onerror="alert(1)">\n\n<div onclick="alert(2)">\n<iframe src="https://evil.example"></iframe>\n</div>');
    expect(tags(html)).not.toContain('img');
    expect(tags(html)).not.toContain('iframe');
    expect(tags(html).filter((t) => t === 'div')).toHaveLength(1); // only the wrapper
    expect(html).not.toMatch(/<[^>]+\sonerror=/i);
    expect(html).not.toMatch(/<[^>]+\sonclick=/i);
    expect(html).toContain('&lt;img src=x onerror=');
  });

  it('makes javascript:, data: and vbscript: links inert', () => {
    for (const href of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)']) {
      const html = render(`[click me](${href})`);
      expect(tags(html)).not.toContain('a');
      expect(html).not.toMatch(/href=/i);
      expect(html).toContain('click me');
    }
    const autolink = render('<javascript:alert(1)>');
    expect(autolink).not.toMatch(/href="javascript/i);
  });

  it('opens web links in a new window with noopener noreferrer', () => {
    const html = render('See [the docs](https://onnxruntime.ai/docs) and https://github.com/x');
    const anchors = [...html.matchAll(/<a [^>]*>/g)].map((m) => m[0]);
    expect(anchors).toHaveLength(2);
    for (const a of anchors) {
      expect(a).toContain('target="_blank"');
      expect(a).toContain('rel="noopener noreferrer"');
    }
    expect(anchors[0]).toContain('href="https://onnxruntime.ai/docs"');
  });

  it('never loads Markdown images', () => {
    const html = render('![tracker](https://evil.example/pixel.png)');
    expect(tags(html)).not.toContain('img');
    expect(html).toContain('[image: tracker]');
  });

  it('renders ordinary Markdown: emphasis, code, lists, tables', () => {
    const html = render('**bold** and `x < y`\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```js\nconst a = "<b>";\n```');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<code>x &lt; y</code>');
    expect(tags(html)).toEqual(expect.arrayContaining(['ul', 'li', 'table', 'td', 'pre']));
    expect(html).toContain('data-language="js"');
    expect(html).toContain('const a = &quot;&lt;b&gt;&quot;;');
  });
});

describe('\\boxed answers', () => {
  it('splits text around balanced boxes', () => {
    expect(splitBoxed('The answer is \\boxed{4}.')).toEqual([
      { kind: 'text', value: 'The answer is ' },
      { kind: 'boxed', value: '4' },
      { kind: 'text', value: '.' },
    ]);
    expect(splitBoxed('\\boxed{\\frac{1}{2}} or \\boxed{x}')).toEqual([
      { kind: 'boxed', value: '\\frac{1}{2}' },
      { kind: 'text', value: ' or ' },
      { kind: 'boxed', value: 'x' },
    ]);
    expect(splitBoxed('unclosed \\boxed{4')).toEqual([{ kind: 'text', value: 'unclosed \\boxed{4' }]);
  });

  it('highlights the boxed answer as text, and leaves code alone', () => {
    const html = render('The answer is \\boxed{4}.');
    expect(html).toContain('<span class="boxed-answer" data-boxed="true">4</span>');
    const hostile = render('\\boxed{<img src=x onerror=alert(1)>}');
    expect(tags(hostile)).not.toContain('img');
    expect(render('`\\boxed{4}`')).not.toContain('boxed-answer');
  });
});

/** The text a reader sees: tags and KaTeX's MathML copy (for screen readers, visually hidden) removed. */
const visibleText = (html: string) =>
  html
    .replace(/<span class="katex-mathml">[\s\S]*?<\/math><\/span>/g, '')
    .replace(/<[^>]+>/g, '')
    .replace(/&amp;/g, '&');

describe('math', () => {
  it('renders $\\boxed{55}$ as math with the box highlighted: no stray dollars, no raw TeX', () => {
    const html = render('The answer is $\\boxed{55}$.');
    expect(html).toContain('class="boxed-math"');
    expect(html).toMatch(/class="boxed-math"><span class="katex">/);
    expect(html).toContain('fbox');
    const text = visibleText(html);
    expect(text).toContain('55');
    expect(text).not.toContain('$');
    expect(text).not.toContain('\\boxed');
    expect(html).not.toContain('boxed-answer'); // the text-mode highlight is for \boxed outside math
  });

  it('renders inline $…$, display $$…$$ and R1\'s \\( \\) / \\[ \\] as KaTeX, never as raw TeX', () => {
    for (const source of ['So $x^2 + 1$ holds.', '$$\n\\frac{1}{2}\n$$', 'Pairing gives $$\n\\frac{1}{2}\n$$', 'So \\(x^2\\) holds.', '\\[ \\sqrt{3} \\]']) {
      const html = render(source);
      expect(html, source).toContain('class="katex');
      const text = visibleText(html);
      expect(text, source).not.toMatch(/\$|\\frac|\\sqrt|\\\(|\\\[/);
    }
    expect(render('$$\n\\boxed{\\dfrac{3}{4}}\n$$')).toMatch(/class="boxed-math"><span class="katex-display">/);
  });

  it('makes \\href, \\url, \\includegraphics and \\html… commands inert error text (KaTeX trust off)', () => {
    const payloads = [
      '$\\href{javascript:alert(1)}{click}$',
      '$\\url{javascript:alert(1)}$',
      '$\\includegraphics{https://evil.example/x.png}$',
      '$\\htmlClass{evil}{x}$',
      '$\\htmlId{evil}{x}$',
      '$\\htmlStyle{background:url(https://evil.example/)}{x}$',
      '$\\htmlData{foo=bar}{x}$',
    ];
    for (const payload of payloads) {
      const html = render(payload);
      expect(tags(html), payload).not.toContain('a');
      expect(tags(html), payload).not.toContain('img');
      expect(html, payload).not.toMatch(/href=|src=|class="evil"|id="evil"|data-foo/);
      // the URL survives only as text: in KaTeX's TeX annotation (for copying), never in an attribute
      expect(html.replace(/<annotation[\s\S]*?<\/annotation>/g, ''), payload).not.toContain('evil.example');
    }
  });

  it('survives a macro bomb (maxExpand) without hanging', () => {
    const bomb = '$\\def\\a{\\b\\b}\\def\\b{\\c\\c}\\def\\c{\\d\\d}\\def\\d{xxxxxxxx}\\def\\e{\\a\\a\\a\\a}\\e\\e\\e\\e\\e\\e$';
    const html = render(bomb);
    expect(html).toContain('katex');
    expect(html.length).toBeLessThan(200_000);
  });
});

describe('code blocks', () => {
  it('show a language label and a copy button, the code as text', () => {
    const html = render('```python\nprint("<b>hi</b>")\n```');
    expect(html).toContain('data-language="python"');
    expect(html).toContain('<span class="code-language">python</span>');
    expect(html).toContain('aria-label="Copy code"');
    expect(html).toContain('print(&quot;&lt;b&gt;hi&lt;/b&gt;&quot;)');
    expect(tags(html)).not.toContain('b');
  });

  it('are highlighted by the lazily loaded highlighter as spans and text only', async () => {
    const { highlightCode } = await import('./highlight');
    const nodes = highlightCode('def f(x):\n    return "<script>"', 'python');
    expect(nodes).not.toBeNull();
    const kinds = new Set<string>();
    const walk = (list: NonNullable<typeof nodes>) =>
      list.forEach((n) => {
        kinds.add(n.type === 'element' ? n.tagName : n.type);
        if (n.type === 'element') walk(n.children);
      });
    walk(nodes!);
    expect([...kinds].sort()).toEqual(['span', 'text']);
    expect(highlightCode('x', 'no-such-language')).toBeNull();
  });
});

describe('isOpenableUrl', () => {
  it('accepts only http(s) URLs', () => {
    expect(isOpenableUrl('https://huggingface.co')).toBe(true);
    expect(isOpenableUrl('http://example.com')).toBe(true);
    expect(isOpenableUrl('javascript:alert(1)')).toBe(false);
    expect(isOpenableUrl('file:///etc/passwd')).toBe(false);
    expect(isOpenableUrl('/relative')).toBe(false);
    expect(isOpenableUrl(undefined)).toBe(false);
  });
});
