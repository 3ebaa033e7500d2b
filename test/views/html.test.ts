import { html, jsonForScript, raw } from '../../views/html';

describe('html', () => {
  it('escapes every interpolated string, in element content and in attribute values', () => {
    const value = `<img src=x onerror=alert(1)> " ' \` &`;
    expect(html`<p title="${value}">${value}</p>`.toString()).toBe(
      '<p title="&lt;img src=x onerror=alert(1)&gt; &quot; &#39; &#96; &amp;">&lt;img src=x onerror=alert(1)&gt; &quot; &#39; &#96; &amp;</p>',
    );
  });

  it('places a nested fragment as it is, without escaping it a second time', () => {
    const inner = html`<b>${'Tom & Jerry'}</b>`;
    expect(html`<p>${inner}</p>`.toString()).toBe('<p><b>Tom &amp; Jerry</b></p>');
  });

  it('joins an array of fragments, still escaping the strings in it', () => {
    expect(html`<ul>${[html`<li>${'a<b'}</li>`, '<li>']}</ul>`.toString()).toBe('<ul><li>a&lt;b</li>&lt;li&gt;</ul>');
  });

  it('writes numbers and booleans as text', () => {
    expect(html`<canvas width="${2 * 21}" data-on="${true}">`.toString()).toBe('<canvas width="42" data-on="true">');
  });

  it('passes raw() markup through untouched: the one greppable way around escaping', () => {
    expect(html`<span>${raw('<svg/>')}</span>`.toString()).toBe('<span><svg/></span>');
  });

  it('keeps the template text itself byte for byte, whitespace included', () => {
    expect(html`<p>\n  ${'x'}\n</p>`.toString()).toBe('<p>\n  x\n</p>');
  });
});

describe('jsonForScript', () => {
  it('cannot close its script block or open a comment, and still parses back to the same value', () => {
    const value = { text: '</script><!-- & \u2028' };
    const out = html`<script type="application/json">${jsonForScript(value)}</script>`.toString();
    const body = out.slice('<script type="application/json">'.length, -'</script>'.length);
    expect(body).not.toMatch(/[<>&]/);
    expect(JSON.parse(body)).toEqual(value);
  });
});
