// Which Chromium-family browser this is, for the daemon's profile list. Pure.

export const BROWSER_NAMES = ['Edge', 'Opera', 'Brave', 'Vivaldi', 'Chrome', 'Chromium'];

// Brand names in navigator.userAgentData, most specific first.
const BRANDS = [
  ['Microsoft Edge', 'Edge'],
  ['Opera', 'Opera'],
  ['Opera GX', 'Opera'],
  ['Brave', 'Brave'],
  ['Vivaldi', 'Vivaldi'],
  ['Google Chrome', 'Chrome'],
];

// Fallbacks in the user-agent string, for browsers that keep their brand out of
// userAgentData (Vivaldi does; older Opera and Edge builds did).
const USER_AGENT_MARKERS = [
  [/\bEdg(A|iOS)?\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\bVivaldi\//, 'Vivaldi'],
];

/**
 * @param {{brands?: {brand: string}[], userAgent?: string, isBrave?: boolean}} facts
 *   navigator.userAgentData.brands, navigator.userAgent, and whether navigator.brave exists
 * @returns {string} one of BROWSER_NAMES
 */
export function detectBrowser({ brands = [], userAgent = '', isBrave = false } = {}) {
  const names = new Set(brands.map((entry) => entry?.brand).filter((brand) => typeof brand === 'string'));
  for (const [brand, name] of BRANDS) {
    if (names.has(brand)) return name;
  }
  if (isBrave) return 'Brave';
  for (const [pattern, name] of USER_AGENT_MARKERS) {
    if (pattern.test(userAgent)) return name;
  }
  return 'Chromium';
}
