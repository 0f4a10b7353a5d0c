import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { watch, statSync } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Subject } from 'rxjs';
import type { Observable, Subscription } from 'rxjs';
import type { ToolEntry } from '../catalog';
import { DEFAULT_WATCH_DEBOUNCE_MS, DISCOVERY_LOGGER, TOOL_DISCOVERY_OPTIONS } from '../discovery.constants';
import { ToolCatalogService } from '../tool-catalog.service';
import type { ToolDiscoveryModuleOptions } from '../tool-discovery.module-definition';
import { DEFAULT_PROFILE, readProfiles } from './profiles-file';
import type { ProfilesDocument, Selector } from './profiles-file';
import { matcherOf, selectorText } from './selectors';
import { ToolView, selectableOf } from './tool-view';
import type { ProfileChain } from './tool-view';

/** Who calls, as far as bindings go: the API key's name, the X-Agent-Id header, the profile endpoint. */
export interface ProfileCaller {
  key?: string;
  agentId?: string;
  endpoint?: string;
  /** The client of the stdio transport (bound by `bindings.stdio`). */
  stdio?: boolean;
}

/** The Letta server's limit on tool names, and Claude's and OpenAI's. */
export const TOOL_NAME_LIMITS = [
  { length: 48, rule: "the Letta server's 48-character limit" },
  { length: 64, rule: "Claude's and OpenAI's 64-character limit" },
] as const;

/**
 * The tool profiles (MCP_PROFILES): which profile a caller gets (bindings of API keys and agent
 * ids, profile endpoints), and the view of the catalog each chain of profiles gives, computed once
 * per catalog and profiles version. Enforcement is the views': what a view does not show cannot be
 * listed or called. With the watch on (MCP_WATCH), a change of the file (or folder) is reloaded; a
 * broken edit keeps the previous profiles.
 */
@Injectable()
export class ToolProfilesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly path: string | undefined;
  private current: ProfilesDocument | undefined;
  private readonly views = new Map<string, ToolView>();
  private viewsOf: readonly ToolEntry[] | undefined;
  private readonly changed = new Subject<void>();
  private readonly warnedNames = new Set<string>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private catalogChanges: Subscription | undefined;
  private readonly watchOn: boolean;
  private readonly debounceMs: number;

  /** Emits after the profiles file changed what some caller may see. */
  readonly changes$: Observable<void> = this.changed.asObservable();

  constructor(
    @Inject(TOOL_DISCOVERY_OPTIONS) options: ToolDiscoveryModuleOptions,
    private readonly catalog: ToolCatalogService,
    @Inject(DISCOVERY_LOGGER) private readonly logger: LoggerService,
  ) {
    this.path = options.profiles?.path;
    this.current = options.profiles?.document ?? (this.path === undefined ? undefined : readProfiles(this.path));
    this.watchOn = options.watch ?? false;
    this.debounceMs = options.watchDebounceMs ?? DEFAULT_WATCH_DEBOUNCE_MS;
  }

  onApplicationBootstrap(): void {
    this.warnLongNames();
    this.catalogChanges = this.catalog.changes$.subscribe(() => this.warnLongNames());
    if (this.current) {
      const names = Object.keys(this.current.profiles);
      this.logger.log(`Tool profiles: ${names.length} from ${this.path} (${names.join(', ') || 'none'})`, 'Profiles');
      this.warnUnmatched();
    }
    if (this.watchOn && this.path !== undefined) this.watch(this.path);
  }

  onApplicationShutdown(): void {
    this.catalogChanges?.unsubscribe();
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
    this.changed.complete();
  }

  /** The profiles document in force; undefined without MCP_PROFILES. */
  get document(): ProfilesDocument | undefined {
    return this.current;
  }

  /** Whether a profile endpoint `/profiles/<name>/...` exists. */
  hasProfile(name: string): boolean {
    return this.current !== undefined && Object.hasOwn(this.current.profiles, name);
  }

  /** The caller's chain: the key's binding (the stdio client's, else `default`), the agent's binding, the endpoint. */
  chainFor(caller: ProfileCaller): ProfileChain {
    const bindings = this.current?.bindings;
    // The stdio client is whoever launched the gateway: its binding stands where a key's would.
    const first = ownValue(bindings?.keys, caller.key) ?? (caller.stdio === true ? bindings?.stdio : undefined);
    const names = [first ?? DEFAULT_PROFILE];
    const agent = ownValue(bindings?.agents, caller.agentId);
    if (agent !== undefined && agent !== names[0]) names.push(agent);
    if (caller.endpoint !== undefined && !names.includes(caller.endpoint)) names.push(caller.endpoint);
    return { names };
  }

  /** The view of the catalog a caller gets (the same object while neither catalog nor profiles change). */
  viewFor(caller: ProfileCaller): ToolView {
    return this.view(this.chainFor(caller));
  }

  view(chain: ProfileChain): ToolView {
    const tools = this.catalog.list();
    if (this.viewsOf === undefined || !sameTools(this.viewsOf, tools)) {
      this.views.clear();
      this.viewsOf = tools;
    }
    const key = chain.names.join('+');
    let view = this.views.get(key);
    if (view === undefined) {
      view = new ToolView(tools, this.current, chain);
      this.views.set(key, view);
    }
    return view;
  }

  /** Read the profiles again; false (and the previous profiles kept) when the file is broken or unchanged. */
  reload(): boolean {
    if (this.path === undefined) return false;
    let next: ProfilesDocument;
    try {
      next = readProfiles(this.path);
    } catch (err) {
      this.logger.error(`Tool profiles not reloaded, the previous ones stay: ${(err as Error).message}`, 'Profiles');
      return false;
    }
    if (JSON.stringify(next) === JSON.stringify(this.current)) return false;
    this.current = next;
    this.views.clear();
    this.viewsOf = undefined;
    this.logger.log(`Tool profiles reloaded from ${this.path}: ${Object.keys(next.profiles).join(', ') || 'none'}`, 'Profiles');
    this.warnUnmatched();
    this.changed.next();
    return true;
  }

  /** A selector that matches no tool of the catalog is most likely a typo: one warn line each. */
  private warnUnmatched(): void {
    const document = this.current;
    if (document === undefined) return;
    const items = this.catalog.list().map(selectableOf);
    const check = (field: string, selectors: readonly Selector[] | undefined): void => {
      (selectors ?? []).forEach((selector, index) => {
        const match = matcherOf(selector);
        if (!items.some(match))
          this.logger.warn(`Profile selector ${field}[${index}] ${selectorText(selector)} matches no tool`, 'Profiles');
      });
    };
    for (const [name, spec] of Object.entries(document.profiles)) {
      check(`profiles.${name}.tools`, spec.tools);
      check(`profiles.${name}.excludeTools`, spec.excludeTools);
      if (typeof spec.agentMode === 'object') check(`profiles.${name}.agentMode.attach`, spec.agentMode.attach);
      for (const tool of Object.keys(spec.overrides ?? {})) {
        if (!items.some(matcherOf(tool))) this.logger.warn(`Profile override profiles.${name}.overrides.${tool} names no tool`, 'Profiles');
      }
    }
  }

  /** Names past a client's limit: a warn line per tool and rule, once per name. */
  private warnLongNames(): void {
    for (const tool of this.catalog.list()) {
      if (this.warnedNames.has(tool.name)) continue;
      const broken = TOOL_NAME_LIMITS.filter((limit) => tool.name.length > limit.length);
      if (broken.length === 0) continue;
      this.warnedNames.add(tool.name);
      this.logger.warn(
        `Tool name ${tool.name} (${tool.qualifiedName}) is ${tool.name.length} characters, over ${broken.map((b) => b.rule).join(' and ')}; ` +
          'give it a shorter name with a profile override (MCP_PROFILES)',
        'Discovery',
      );
    }
  }

  /** Watch the file's folder (an editor replaces files) or the profiles folder, debounced. */
  private watch(path: string): void {
    let folder: string;
    let only: string | undefined;
    try {
      const isFolder = statSync(path).isDirectory();
      folder = isFolder ? path : dirname(path);
      only = isFolder ? undefined : basename(path);
    } catch (err) {
      this.logger.warn(`Not watching the profiles file ${path}: ${(err as Error).message}`, 'Profiles');
      return;
    }
    try {
      this.watcher = watch(folder, (_event, file) => {
        if (only !== undefined && file !== null && file !== only) return;
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => this.reload(), this.debounceMs);
        this.timer.unref();
      });
      this.watcher.on('error', (err) => this.logger.warn(`Profiles watcher stopped: ${err.message}`, 'Profiles'));
    } catch (err) {
      this.logger.warn(`Not watching the profiles file ${path}: ${(err as Error).message}`, 'Profiles');
    }
  }
}

/** A binding by name; never an inherited property (a key may be named `constructor`). */
function ownValue(map: Record<string, string> | undefined, name: string | undefined): string | undefined {
  return map !== undefined && name !== undefined && Object.hasOwn(map, name) ? map[name] : undefined;
}

/** The catalog lists fresh arrays of the same entries while it is unchanged. */
function sameTools(a: readonly ToolEntry[], b: readonly ToolEntry[]): boolean {
  return a.length === b.length && a.every((entry, index) => entry === b[index]);
}
