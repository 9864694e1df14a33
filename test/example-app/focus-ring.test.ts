import { expect } from 'chai';
import { STYLESHEET } from '../../example-app/views/style.js';

/** WCAG 2 relative luminance of a `#rrggbb` colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio, from 1 to 21. */
function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** A colour as `#rrggbb`, following `var(--name)` through the stylesheet's custom properties. */
function colour(value: string): string {
  const name = /^var\((--[\w-]+)\)$/.exec(value.trim())?.[1];
  const resolved = name ? new RegExp(`${name}:\\s*([^;]+);`).exec(STYLESHEET)?.[1]?.trim() : value.trim();
  if (!resolved) throw new Error(`${value} is not defined in the stylesheet`);
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(resolved);
  const full = short ? `#${short[1]!.repeat(2)}${short[2]!.repeat(2)}${short[3]!.repeat(2)}` : resolved;
  if (!/^#[0-9a-f]{6}$/i.test(full)) throw new Error(`${value} is not an opaque #rrggbb colour: ${resolved}`);
  return full.toLowerCase();
}

/** The declarations of the first rule whose selector list includes `selector`. */
function rule(selector: string): string {
  for (const [, selectors, body] of STYLESHEET.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    if (selectors!.split(',').some((s) => s.trim() === selector)) return body!;
  }
  throw new Error(`no rule for ${selector}`);
}

describe('example app: the focus ring', () => {
  // The ring is drawn outside the element (outline-offset), so it sits on whatever surrounds it:
  // the page, the top bar, the demo notice, or the main card.
  const surfaces = { page: 'body', 'top bar': '.top', notice: '.notice', card: 'main' };

  for (const selector of ['a:focus-visible', 'button:focus-visible', '.button:focus-visible']) {
    it(`outlines ${selector.replace(':focus-visible', '')} 3 px wide, outside the element`, () => {
      const body = rule(selector);
      expect(body).to.match(/outline:\s*3px solid /);
      expect(body).to.match(/outline-offset:\s*2px/);
    });
  }

  for (const [where, selector] of Object.entries(surfaces)) {
    it(`has at least 3:1 contrast against the ${where}'s background`, () => {
      const ring = colour(/outline:\s*3px solid ([^;]+);/.exec(rule('button:focus-visible'))![1]!);
      const background = colour(/background:\s*([^;]+);/.exec(rule(selector))![1]!);
      expect(contrast(ring, background), `${ring} on ${background}`).to.be.at.least(3);
    });
  }

  it('computes contrast as WCAG does: black on white is 21:1, and the old ring #8fb8e6 on white is under 3:1', () => {
    expect(contrast('#000000', '#ffffff')).to.be.closeTo(21, 0.01);
    expect(contrast('#8fb8e6', '#ffffff')).to.be.below(3);
  });
});
