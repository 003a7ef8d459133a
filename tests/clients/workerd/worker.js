// Runs inside stock workerd with a KV binding served by Kivi; each path is one scenario, answered as JSON.
async function error(fn) {
  try { await fn(); return null; } catch (e) { return `${e.name}: ${e.message}`; }
}

const scenarios = {
  async values(env) {
    await env.KV.put("greeting", "hello", { metadata: { lang: "en" }, expirationTtl: 300 });
    await env.KV.put("doc", JSON.stringify({ n: 1, list: [1, 2] }));
    await env.KV.put("bytes", new Uint8Array([0, 1, 254, 255]));
    await env.KV.put("streamed", new Response("from a stream").body);
    const stream = await env.KV.get("greeting", "stream");
    const withMeta = await env.KV.getWithMetadata("greeting", { type: "text", cacheTtl: 60 });
    const streamedBack = await env.KV.get("streamed");
    return {
      text: await env.KV.get("greeting"),
      json: await env.KV.get("doc", "json"),
      arrayBuffer: [...new Uint8Array(await env.KV.get("bytes", "arrayBuffer"))],
      stream: await new Response(stream).text(),
      streamedBack,
      withMeta: { value: withMeta.value, metadata: withMeta.metadata },
      missing: await env.KV.get("no-such-key"),
      missingWithMeta: await env.KV.getWithMetadata("no-such-key"),
    };
  },

  async expiration(env) {
    const at = Math.floor(Date.now() / 1000) + 3600;
    await env.KV.put("abs", "v", { expiration: at, metadata: { kind: "absolute" } });
    await env.KV.put("ttl", "v", { expirationTtl: 120 });
    const { keys } = await env.KV.list({ prefix: "" });
    const byName = Object.fromEntries(keys.map((k) => [k.name, k]));
    return { at, abs: byName.abs, ttlExpiration: byName.ttl.expiration, now: Math.floor(Date.now() / 1000) };
  },

  async deletes(env) {
    await env.KV.put("doomed", "v");
    const before = await env.KV.get("doomed");
    await env.KV.delete("doomed");
    await env.KV.delete("never-existed");
    return { before, after: await env.KV.get("doomed") };
  },

  async bulk(env) {
    await env.KV.put("b1", "one", { metadata: { i: 1 } });
    await env.KV.put("b2", JSON.stringify({ two: 2 }));
    const text = await env.KV.get(["b1", "b2", "b-missing"]);
    const json = await env.KV.get(["b2"], "json");
    const meta = await env.KV.getWithMetadata(["b1", "b-missing"]);
    return {
      text: Object.fromEntries(text),
      json: Object.fromEntries(json),
      meta: Object.fromEntries(meta),
      isMap: text instanceof Map,
    };
  },

  async list(env) {
    for (let i = 0; i < 25; i++) await env.KV.put(`page/${String(i).padStart(2, "0")}`, "v", { metadata: { i } });
    await env.KV.put("other", "v");
    const pages = [];
    let cursor;
    do {
      const page = await env.KV.list({ prefix: "page/", limit: 10, cursor });
      pages.push({ names: page.keys.map((k) => k.name), complete: page.list_complete, hasCursor: "cursor" in page, cacheStatus: page.cacheStatus });
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    const first = await env.KV.list({ prefix: "page/", limit: 1 });
    return { pages, firstMetadata: first.keys[0].metadata };
  },

  async errors(env) {
    const past = Math.floor(Date.now() / 1000) - 10;
    const soon = Math.floor(Date.now() / 1000) + 30;
    return {
      ttlTooSmall: await error(() => env.KV.put("k", "v", { expirationTtl: 30 })),
      ttlZero: await error(() => env.KV.put("k", "v", { expirationTtl: 0 })),
      expirationPast: await error(() => env.KV.put("k", "v", { expiration: past })),
      expirationSoon: await error(() => env.KV.put("k", "v", { expiration: soon })),
      metadataTooLarge: await error(() => env.KV.put("k", "v", { metadata: "m".repeat(1100) })),
      valueTooLarge: await error(() => env.KV.put("k", "x".repeat(26214401))),
      keyTooLong: await error(() => env.KV.put("k".repeat(513), "v")),
      keyTooLongGet: await error(() => env.KV.get("k".repeat(513))),
      emptyKey: await error(() => env.KV.get("")),
      dotKey: await error(() => env.KV.put(".", "v")),
      cacheTtlTooSmall: await error(() => env.KV.get("k", { cacheTtl: 10 })),
      listLimitTooLarge: await error(() => env.KV.list({ limit: 1001 })),
      bulkNone: await error(() => env.KV.get([])),
      bulkTooMany: await error(() => env.KV.get(Array.from({ length: 101 }, (_, i) => `k${i}`))),
      bulkBadType: await error(() => env.KV.get(["k"], "arrayBuffer")),
      bulkNotJson: await (async () => { await env.KV.put("plain", "not json"); return error(() => env.KV.get(["plain"], "json")); })(),
      stored: (await env.KV.list()).keys.map((k) => k.name),
    };
  },
};

export default {
  async fetch(request, env) {
    const name = new URL(request.url).pathname.slice(1);
    const scenario = scenarios[name];
    if (!scenario) return new Response(`no scenario ${name}`, { status: 404 });
    try {
      return Response.json(await scenario(env));
    } catch (e) {
      return Response.json({ uncaught: `${e.name}: ${e.message}` }, { status: 500 });
    }
  },
};
