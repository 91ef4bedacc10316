/** The few colours the human output uses; identity functions when colour is off. */
export interface Palette {
  readonly good: (text: string) => string;
  readonly bad: (text: string) => string;
  readonly warn: (text: string) => string;
  readonly dim: (text: string) => string;
}

const same = (text: string) => text;
export const PLAIN: Palette = { good: same, bad: same, warn: same, dim: same };

/** Colours from chalk, loaded only when colour is on (it is not needed for pipes, JSON or CI logs). */
export function colourPalette(): Palette {
  const chalk: typeof import('chalk') = require('chalk');
  const c = new chalk.Instance({ level: 1 });
  return { good: c.green, bad: c.red, warn: c.yellow, dim: c.dim };
}
