import picomatch from 'picomatch';
import type { Selector } from './profiles-file';

/** What a selector is matched against: a tool's advertised name, its `plugin.command` and plugin folder. */
export interface Selectable {
  name: string;
  qualifiedName: string;
  plugin?: string;
}

export type Match = (item: Selectable) => boolean;

const GLOB = /[*?[\]{}]/;

/** One selector as a predicate (see Selector). */
export function matcherOf(selector: Selector): Match {
  if (typeof selector === 'string') {
    if (!GLOB.test(selector)) return (item) => item.name === selector || item.qualifiedName === selector;
    const glob = picomatch(selector, { dot: true });
    return (item) => glob(item.name) || glob(item.qualifiedName);
  }
  if ('plugin' in selector) {
    const plugin = selector.plugin;
    return (item) => item.plugin === plugin;
  }
  const prefix = selector.prefix;
  return (item) => item.name.startsWith(prefix) || item.qualifiedName.startsWith(prefix);
}

/** Any of the selectors (none selects nothing). */
export function anyOf(selectors: readonly Selector[] | undefined): Match {
  const matchers = (selectors ?? []).map(matcherOf);
  return (item) => matchers.some((match) => match(item));
}

/** A selector as the profiles file writes it, for messages. */
export function selectorText(selector: Selector): string {
  return typeof selector === 'string' ? JSON.stringify(selector) : JSON.stringify(selector);
}
