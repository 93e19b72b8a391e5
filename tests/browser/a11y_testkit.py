# ruff: noqa: E501 - the checks are JavaScript run in the page
"""Accessibility checks run in the browser on a rendered page (no axe-core, no CDN).

:func:`audit` returns a list of problems (empty when the page passes):

* every visible form control has a label (``<label for>``, a wrapping label, ``aria-label``
  or ``aria-labelledby``);
* every ``<img>`` has an ``alt`` attribute (empty for decorative images); every
  ``<svg role="img">`` has a ``<title>`` or ``aria-label(ledby)``;
* exactly one ``<h1>``, and headings never skip a level going down (h2 → h4);
* landmarks: a ``<main>``, a ``<header>`` and a ``<nav>`` (the site's banner and navigation);
* text contrast of the main text elements ≥ 4.5:1 (3:1 for large text: ≥ 24 px, or ≥ 18.66 px
  bold), computed from the computed foreground colour and the first opaque background up the
  tree (WCAG 2.x relative luminance).

:func:`tab_through` presses Tab until focus comes back round and returns problems: a visible
control never reached, or a focused element without a visible focus indicator (outline or box
shadow).
"""

from __future__ import annotations

from typing import Any

__all__ = ["audit", "tab_through"]

_AUDIT_JS = r"""
() => {
  const problems = [];
  const visible = (e) => {
    const s = getComputedStyle(e);
    if (s.display === 'none' || s.visibility === 'hidden') return false;
    const r = e.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;  // includes visually-hidden text
    return e.offsetParent !== null || s.position === 'fixed';
  };
  const describe = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.name ? '[name=' + e.name + ']' : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '');
  // labels
  for (const e of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const labelled = (e.labels && e.labels.length) || e.getAttribute('aria-label') ||
      e.getAttribute('aria-labelledby') || e.getAttribute('title');
    if (!labelled) problems.push('no label: ' + describe(e));
  }
  // images
  for (const e of document.querySelectorAll('img')) {
    if (!e.hasAttribute('alt')) problems.push('img without alt: ' + (e.getAttribute('src') || '').slice(0, 60));
  }
  for (const e of document.querySelectorAll('svg[role=img]')) {
    if (!e.querySelector('title') && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
      problems.push('svg image without a title');
  }
  // headings
  const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')];
  const h1 = headings.filter((h) => h.tagName === 'H1').length;
  if (h1 !== 1) problems.push('h1 count ' + h1);
  let previous = 0;
  for (const h of headings) {
    const level = Number(h.tagName[1]);
    if (previous && level > previous + 1) problems.push('heading skips a level: h' + previous + ' -> h' + level + ' ' + h.textContent.trim().slice(0, 40));
    previous = level;
  }
  // landmarks
  for (const selector of ['main', 'header', 'nav']) {
    if (!document.querySelector(selector)) problems.push('no <' + selector + '> landmark');
  }
  // contrast
  const rgba = (text) => {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const luminance = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (e) => {
    for (let n = e; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c && c.a >= 0.99) return c;
      if (getComputedStyle(n).backgroundImage !== 'none') return null;  // unknown: skip
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const textual = 'p, li, dd, dt, label, a, button, h1, h2, h3, h4, td, th, legend, summary, figcaption, span, strong, small, code, time';
  for (const e of document.querySelectorAll(textual)) {
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !visible(e)) continue;
    const s = getComputedStyle(e);
    if (Number(s.opacity) < 1) continue;
    const fg = rgba(s.color);
    const bg = background(e);
    if (!fg || !bg) continue;
    const blended = {r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a)};
    const [l1, l2] = [luminance(blended), luminance(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push('contrast ' + ratio.toFixed(2) + ' ' + describe(e) + ' "' + e.textContent.trim().slice(0, 30) + '"');
  }
  return problems;
}
"""

_TABBABLE_JS = r"""
() => [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
  .filter((e) => {
    if (e.disabled) return false;
    const s = getComputedStyle(e);
    const r = e.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 1 && r.height > 1 &&
      !e.closest('details:not([open]) > :not(summary)');
  }).length
"""

_FOCUS_JS = r"""
() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  if (!e.dataset.a11yStop) { window.__a11yStops = (window.__a11yStops || 0) + 1; e.dataset.a11yStop = String(window.__a11yStops); }
  return {key: e.dataset.a11yStop + '|' + e.tagName + '|' + (e.id || e.name || e.getAttribute('href') || e.textContent.trim().slice(0, 30)),
          visible: outline || shadow};
}
"""


def audit(page: Any) -> list[str]:
    """Problems of the page as rendered (see the module docstring)."""
    problems: list[str] = page.evaluate(_AUDIT_JS)
    return problems


def tab_through(page: Any, *, limit: int = 250) -> list[str]:
    """Tab from the top of the page; problems with reachability or visible focus."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    expected = int(page.evaluate(_TABBABLE_JS))
    seen: list[str] = []
    problems: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = page.evaluate(_FOCUS_JS)
        if found is None:
            continue
        if found["key"] in seen and len(seen) >= expected:
            break
        if found["key"] not in seen:
            seen.append(found["key"])
            if not found["visible"]:
                problems.append("focus not visible on " + found["key"])
    if len(seen) < expected:
        problems.append(f"only {len(seen)} of {expected} controls reached with Tab")
    return problems
