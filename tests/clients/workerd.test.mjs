// Stock workerd (the npm package's binary) runs a Worker whose KV binding is a Kivi namespace.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, copyFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startKivi } from "./kivi.mjs";

const here = dirname(fileURLToPath(import.meta.url));
let kivi, workerd, dir, base;

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => { const { port } = server.address(); server.close(() => resolve(port)); });
  });
}

async function namespace(title) {
  const r = await fetch(`${kivi.api}/accounts/${kivi.account}/storage/kv/namespaces`, {
    method: "POST", headers: { Authorization: `Bearer ${kivi.token}`, "Content-Type": "application/json" }, body: JSON.stringify({ title }),
  });
  return (await r.json()).result.id;
}

async function startWorkerd(ns, token) {
  const port = await freePort();
  dir = mkdtempSync(join(tmpdir(), "kivi-workerd-"));
  copyFileSync(join(here, "workerd/worker.js"), join(dir, "worker.js"));
  const kvAddress = new URL(kivi.url).host;
  writeFileSync(join(dir, "config.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "kv", external = (address = "${kvAddress}", http = (injectRequestHeaders = [
      (name = "Authorization", value = "Bearer ${token}"),
      (name = "X-Kivi-Namespace", value = "${ns}") ]))),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "2025-01-01",
  bindings = [ (name = "KV", kvNamespace = "kv") ],
);
`);
  const child = spawn(join(here, "node_modules/.bin/workerd"), ["serve", join(dir, "config.capnp")], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`workerd exited ${child.exitCode}:\n${output}`);
    try { await fetch(`http://127.0.0.1:${port}/`); return { child, base: `http://127.0.0.1:${port}` }; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  child.kill();
  throw new Error(`workerd did not listen within 60 s:\n${output}`);
}

async function run(name) {
  const r = await fetch(`${base}/${name}`);
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  return body;
}

before(async () => {
  kivi = await startKivi();
  const ns = await namespace("workerd");
  ({ child: workerd, base } = await startWorkerd(ns, kivi.token));
});
after(async () => {
  workerd?.kill();
  await kivi?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("get as text, json, arrayBuffer and stream; getWithMetadata; misses are null", async () => {
  const r = await run("values");
  assert.equal(r.text, "hello");
  assert.deepEqual(r.json, { n: 1, list: [1, 2] });
  assert.deepEqual(r.arrayBuffer, [0, 1, 254, 255]);
  assert.equal(r.stream, "hello");
  assert.equal(r.streamedBack, "from a stream");
  assert.deepEqual(r.withMeta, { value: "hello", metadata: { lang: "en" } });
  assert.equal(r.missing, null);
  assert.deepEqual(r.missingWithMeta, { value: null, metadata: null, cacheStatus: null });
});

test("put with absolute expiration and TTL; list reports absolute expirations", async () => {
  const r = await run("expiration");
  assert.equal(r.abs.expiration, r.at);
  assert.deepEqual(r.abs.metadata, { kind: "absolute" });
  assert.ok(r.ttlExpiration >= r.now + 110 && r.ttlExpiration <= r.now + 121, JSON.stringify(r));
});

test("delete removes a key and deleting a missing key is fine", async () => {
  assert.deepEqual(await run("deletes"), { before: "v", after: null });
});

test("bulk get with and without metadata, missing keys as null", async () => {
  const r = await run("bulk");
  assert.equal(r.isMap, true);
  assert.deepEqual(r.text, { b1: "one", b2: '{"two":2}', "b-missing": null });
  assert.deepEqual(r.json, { b2: { two: 2 } });
  assert.deepEqual(r.meta, { b1: { value: "one", metadata: { i: 1 } }, "b-missing": null });
});

test("list with prefix pages across several pages, cursor only while incomplete", async () => {
  const r = await run("list");
  assert.equal(r.pages.length, 3);
  assert.deepEqual(r.pages.map((p) => p.names.length), [10, 10, 5]);
  assert.deepEqual(r.pages.flatMap((p) => p.names), Array.from({ length: 25 }, (_, i) => `page/${String(i).padStart(2, "0")}`));
  assert.deepEqual(r.pages.map((p) => [p.complete, p.hasCursor]), [[false, true], [false, true], [true, false]]);
  assert.equal(r.pages[0].cacheStatus, null);
  assert.deepEqual(r.firstMetadata, { i: 0 });
});

test("a Worker sees Workers KV's error messages for every limit", async () => {
  const r = await run("errors");
  assert.equal(r.ttlTooSmall, "Error: KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60.");
  assert.equal(r.ttlZero, "Error: KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0.");
  assert.match(r.expirationPast, /^Error: KV PUT failed: 400 Invalid expiration of \d+\. Please specify integer greater than the current number of seconds since the UNIX epoch\.$/);
  assert.match(r.expirationSoon, /^Error: KV PUT failed: 400 Invalid expiration of \d+\. Expiration times must be at least 60 seconds in the future\.$/);
  assert.equal(r.metadataTooLarge, "Error: KV PUT failed: 413 Metadata length of 1102 exceeds limit of 1024.");
  assert.equal(r.valueTooLarge, "Error: KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400.");
  assert.equal(r.keyTooLong, "Error: KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.");
  assert.equal(r.keyTooLongGet, "Error: KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.");
  assert.equal(r.emptyKey, "TypeError: Key name cannot be empty.");
  assert.equal(r.dotKey, 'TypeError: "." is not allowed as a key name.');
  assert.equal(r.cacheTtlTooSmall, "Error: KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30.");
  assert.equal(r.listLimitTooLarge, "Error: KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000.");
  assert.equal(r.bulkNone, "Error: KV GET_BULK failed: 400 You must request a minimum of 1 key");
  assert.equal(r.bulkTooMany, "Error: KV GET_BULK failed: 400 You can request a maximum of 100 keys");
  assert.equal(r.bulkBadType, 'Error: KV GET_BULK failed: 400 "arrayBuffer" is not a valid type. Use "json" or "text"');
  assert.equal(r.bulkNotJson, "Error: KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value");
  // Nothing refused was stored: "k" was the target of every refused put.
  assert.ok(r.stored.includes("plain"));
  assert.ok(!r.stored.includes("k") && !r.stored.includes(".") && !r.stored.some((k) => k.length > 512), JSON.stringify(r.stored));
});

test("the sample in samples/workerd-kv runs as its docs say", async () => {
  const port = await freePort();
  const sample = join(here, "../../samples/workerd-kv");
  const child = spawn(join(sample, "run.sh"), [], {
    env: { ...process.env, KIVI_URL: kivi.url, KIVI_ADMIN_TOKEN: kivi.token, PORT: String(port), WORKERD: join(here, "node_modules/.bin/workerd") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  try {
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    let first;
    while (!first) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `the sample did not start:\n${output}`);
      try { first = await (await fetch(url)).json(); } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    assert.equal(first.visits, 1);
    assert.equal(first.greeting, "Hello from workerd and Kivi!");
    assert.equal(await (await fetch(`${url}/greeting`, { method: "PUT", body: "Hi from the test" })).text(), "saved\n");
    const second = await (await fetch(url)).json();
    assert.equal(second.visits, 2);
    assert.equal(second.greeting, "Hi from the test");
    assert.match(second.updated, /^\d{4}-\d\d-\d\dT/);
  } finally {
    child.kill();
  }
});
