import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Keyv } from 'keyv';
import type { PinKind } from './fingerprint.js';

/** One pinned definition. */
export interface PinRecord {
  readonly kind: PinKind;
  /** The upstream's own (original) name: a rename by the gateway never resets a pin. */
  readonly name: string;
  readonly fingerprint: string;
  /** The pinned fields, kept for diffs. */
  readonly definition: Record<string, unknown>;
  /** ISO time the definition was pinned (first use or approval). */
  readonly pinnedAt: string;
}

/** The pins of one upstream identity (server name + command or URL). */
export interface ServerPins {
  /** The server's name in the config. */
  server: string;
  /** See {@link upstreamIdentity}. */
  identity: string;
  /** Kinds whose list was seen at first use (a kind listed once, even empty, is known: later items are new). */
  kinds?: PinKind[];
  /** By `kind:name`, e.g. `tool:search` (templates by URI template). */
  items: Record<string, PinRecord>;
}

/** Where pins are kept: a JSON file (default) or a keyv store shared by several gateways. */
export interface PinStore {
  /** A short description for messages (`file /x/pins.json`, `keyv prefix mcp-bridge:pins:`). */
  readonly label: string;
  get(identity: string): Promise<ServerPins | undefined>;
  set(pins: ServerPins): Promise<void>;
  /** Every identity's pins (for `mcp-bridge pins list`). */
  all(): Promise<ServerPins[]>;
  /** Removes every pin of an identity; true when there were any. */
  delete(identity: string): Promise<boolean>;
}

/** The key of one pinned item inside {@link ServerPins.items}. */
export const itemKey = (kind: PinKind, name: string): string => `${kind}:${name}`;

/**
 * The default pin file: `$XDG_STATE_HOME/mcp-bridge/pins.json` (`~/.local/state/...` without it),
 * `~/Library/Application Support/mcp-bridge/pins.json` on macOS, `%LOCALAPPDATA%\mcp-bridge\pins.json` on Windows.
 */
export function defaultPinFile(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'mcp-bridge', 'pins.json');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'mcp-bridge', 'pins.json');
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'mcp-bridge', 'pins.json');
}

interface PinFile {
  version: 1;
  servers: Record<string, ServerPins>;
}

/**
 * Pins in one JSON file. Every write goes to a temporary file renamed over the old one (atomic on
 * POSIX), so a crash or a second gateway never leaves a half-written file; writes of one process are
 * serialised. Reads go to the file each time: the CLI approves by writing it from another process.
 */
export class FilePinStore implements PinStore {
  readonly label: string;
  readonly #path: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.#path = path;
    this.label = `file ${path}`;
  }

  async get(identity: string): Promise<ServerPins | undefined> {
    return (await this.#read()).servers[identity];
  }

  async all(): Promise<ServerPins[]> {
    return Object.values((await this.#read()).servers);
  }

  set(pins: ServerPins): Promise<void> {
    return this.#update((file) => {
      file.servers[pins.identity] = pins;
      return true;
    }).then(() => undefined);
  }

  delete(identity: string): Promise<boolean> {
    return this.#update((file) => delete file.servers[identity] && true);
  }

  #update(change: (file: PinFile) => boolean): Promise<boolean> {
    const run = this.#queue.then(async () => {
      const file = await this.#read();
      const had = change(file);
      await this.#write(file);
      return had;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #read(): Promise<PinFile> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, servers: {} };
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`pin file ${this.#path} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    const servers = (parsed as Partial<PinFile> | null)?.servers;
    if (typeof servers !== 'object' || servers === null) throw new Error(`pin file ${this.#path} has no "servers" object`);
    return { version: 1, servers };
  }

  async #write(file: PinFile): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true });
    const temp = `${this.#path}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, this.#path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}

/**
 * Pins in a keyv store (e.g. `@keyv/redis`), shared by several gateways: one key per identity under
 * `prefix`, and an index key listing the identities (Redis has no cheap "keys with this prefix").
 */
export class KeyvPinStore implements PinStore {
  readonly label: string;
  readonly #keyv: Keyv;
  readonly #prefix: string;

  constructor(keyv: Keyv, prefix: string) {
    this.#keyv = keyv;
    this.#prefix = prefix;
    this.label = `keyv prefix ${prefix}`;
  }

  async get(identity: string): Promise<ServerPins | undefined> {
    return (await this.#keyv.get<ServerPins>(`${this.#prefix}id:${identity}`)) ?? undefined;
  }

  async all(): Promise<ServerPins[]> {
    const found = await Promise.all((await this.#index()).map((id) => this.get(id)));
    return found.filter((p): p is ServerPins => p !== undefined);
  }

  async set(pins: ServerPins): Promise<void> {
    await this.#keyv.set(`${this.#prefix}id:${pins.identity}`, pins);
    const index = await this.#index();
    if (!index.includes(pins.identity)) await this.#keyv.set(`${this.#prefix}index`, [...index, pins.identity]);
  }

  async delete(identity: string): Promise<boolean> {
    const had = await this.#keyv.delete(`${this.#prefix}id:${identity}`);
    const index = await this.#index();
    if (index.includes(identity))
      await this.#keyv.set(
        `${this.#prefix}index`,
        index.filter((id) => id !== identity),
      );
    return had;
  }

  async #index(): Promise<string[]> {
    const index = (await this.#keyv.get(`${this.#prefix}index`)) as unknown;
    return Array.isArray(index) ? index.filter((id): id is string => typeof id === 'string') : [];
  }
}
