/// <reference lib="dom" />
/**
 * Everything the browser keeps for a page, as one string, for "the value is nowhere in the
 * browser" assertions (SPEC §13: a revealed value never enters a URL or browser storage).
 * Strings are written raw (no JSON escaping) and, when percent-decoding changes them, decoded
 * too: `expect(dump).not.toContain(value)` cannot pass because of quoting or encoding.
 */
import type { Page } from "playwright-core";

/** A structured-clone value made plain in the page: bytes and blobs as text, maps as pairs. */
type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

/** Runs in the page (serialised by Playwright): self-contained, no closure over this module. */
async function readPageStorage(): Promise<Plain> {
  const plain = async (value: unknown, depth = 0): Promise<Plain> => {
    if (depth > 32) return "[too deep]";
    if (value === null || value === undefined) return null;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      return value;
    }
    if (typeof value === "bigint") return value.toString();
    if (typeof value !== "object") return typeof value; // functions and symbols do not clone
    if (value instanceof Date) return value.toISOString();
    if (value instanceof Blob) return { blob: await value.text() };
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      const bytes =
        value instanceof ArrayBuffer
          ? new Uint8Array(value)
          : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      return { bytes: new TextDecoder().decode(bytes) };
    }
    if (value instanceof Map) {
      const pairs: Plain[] = [];
      for (const [k, v] of value)
        pairs.push([await plain(k, depth + 1), await plain(v, depth + 1)]);
      return pairs;
    }
    if (value instanceof Set || Array.isArray(value)) {
      const items: Plain[] = [];
      for (const v of value as Iterable<unknown>) items.push(await plain(v, depth + 1));
      return items;
    }
    const out: { [key: string]: Plain } = {};
    for (const [k, v] of Object.entries(value)) out[k] = await plain(v, depth + 1);
    return out;
  };
  const request = <T>(r: IDBRequest<T>): Promise<T> =>
    new Promise((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error("IndexedDB request failed"));
    });
  const webStorage = (s: Storage): Plain => {
    const out: { [key: string]: Plain } = {};
    for (let i = 0; i < s.length; i++) {
      const key = s.key(i)!;
      out[key] = s.getItem(key);
    }
    return out;
  };

  const indexedDb: Plain[] = [];
  for (const info of await indexedDB.databases()) {
    if (info.name === undefined) continue;
    const db = await request(indexedDB.open(info.name));
    const stores: { [key: string]: Plain } = {};
    for (const storeName of Array.from(db.objectStoreNames)) {
      const store = db.transaction(storeName, "readonly").objectStore(storeName);
      const keys = await request(store.getAllKeys());
      const values = await request(store.getAll());
      stores[storeName] = await plain(
        keys.map((k, i) => ({ key: k, value: values[i] as unknown })),
      );
    }
    db.close();
    indexedDb.push({ name: info.name, version: info.version ?? null, stores });
  }

  const cacheStorage: Plain[] = [];
  if ("caches" in self) {
    for (const cacheName of await caches.keys()) {
      const cache = await caches.open(cacheName);
      for (const req of await cache.keys()) {
        const res = await cache.match(req);
        cacheStorage.push({ cache: cacheName, url: req.url, body: (await res?.text()) ?? null });
      }
    }
  }

  return {
    url: location.href,
    historyLength: history.length,
    title: document.title,
    localStorage: webStorage(localStorage),
    sessionStorage: webStorage(sessionStorage),
    documentCookie: document.cookie,
    indexedDb,
    cacheStorage,
  };
}

/** Plain data as indented text, strings raw (and percent-decoded too when that differs). */
function render(value: Plain, indent = ""): string {
  if (typeof value === "string") {
    let decoded = value;
    try {
      decoded = decodeURIComponent(value.replace(/\+/g, " "));
    } catch {
      // not percent-encoded: the raw string is all there is
    }
    return decoded === value ? value : `${value}  (decoded: ${decoded})`;
  }
  if (value === null || typeof value !== "object") return String(value);
  const inner = indent + "  ";
  const entries = Array.isArray(value)
    ? value.map((v) => `${inner}- ${render(v, inner)}`)
    : Object.entries(value).map(([k, v]) => `${inner}${render(k)}: ${render(v, inner)}`);
  return entries.length === 0 ? (Array.isArray(value) ? "[]" : "{}") : `\n${entries.join("\n")}`;
}

/**
 * The page's URL and history length, localStorage, sessionStorage, document.cookie, every
 * IndexedDB database with its records, Cache Storage's entries with their bodies, and every
 * cookie of the browser, HttpOnly ones included (context.cookies(): a cookie scoped to another
 * path than the page's is still kept by the browser).
 */
export async function storageDump(page: Page): Promise<string> {
  const inPage = await page.evaluate(readPageStorage);
  const cookies = await page.context().cookies();
  return render({
    ...(inPage as { [key: string]: Plain }),
    cookies: cookies.map(({ name, value, domain, path, httpOnly, secure, sameSite }) => ({
      name,
      value,
      domain,
      path,
      httpOnly,
      secure,
      sameSite,
    })),
  });
}
