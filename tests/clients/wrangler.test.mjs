// wrangler 4.86.0's kv commands, unchanged, against a real Kivi server through CLOUDFLARE_API_BASE_URL.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startKivi } from "./kivi.mjs";

const wranglerBin = join(dirname(fileURLToPath(import.meta.url)), "node_modules/wrangler/bin/wrangler.js");
let kivi, work;

before(async () => {
  kivi = await startKivi();
  work = mkdtempSync(join(tmpdir(), "kivi-wrangler-"));
});
after(async () => {
  await kivi?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function wrangler(args, { withAccount = true } = {}) {
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    CI: "true",
    CLOUDFLARE_API_BASE_URL: kivi.api,
    CLOUDFLARE_API_TOKEN: kivi.token,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_LOG_PATH: join(work, "logs"),
    NO_COLOR: "1",
  };
  if (withAccount) env.CLOUDFLARE_ACCOUNT_ID = kivi.account;
  return new Promise((resolve) => {
    execFile(process.execPath, [wranglerBin, ...args], { cwd: work, env, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }));
  });
}

async function ok(args, options) {
  const r = await wrangler(args, options);
  assert.equal(r.code, 0, `wrangler ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// wrangler prints pretty JSON (top-level brackets at column 0) among banners and warnings.
function jsonIn(text) {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => /^[\[{]/.test(l));
  assert.ok(start >= 0, `no JSON in:\n${text}`);
  if (/^(\[\]|\{\})\s*$/.test(lines[start])) return JSON.parse(lines[start]);
  const end = lines.findIndex((l, i) => i > start && /^[\]}]\s*$/.test(l));
  return JSON.parse(lines.slice(start, end + 1).join("\n"));
}

async function createNamespace(title, options) {
  const out = await ok(["kv", "namespace", "create", title], options);
  const m = /"id":\s*"([0-9a-f]{32})"/.exec(out);
  assert.ok(m, `no namespace id in:\n${out}`);
  return m[1];
}

test("kv namespace create, list, rename and delete", async () => {
  const id = await createNamespace("wr-ns");
  const listed = jsonIn(await ok(["kv", "namespace", "list"]));
  assert.ok(listed.some((n) => n.id === id && n.title === "wr-ns"), JSON.stringify(listed));

  const dup = await wrangler(["kv", "namespace", "create", "wr-ns"]);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stdout + dup.stderr, /already exists/);

  await ok(["kv", "namespace", "rename", "--namespace-id", id, "--new-name", "wr-ns-renamed"]);
  const renamed = jsonIn(await ok(["kv", "namespace", "list"]));
  assert.ok(renamed.some((n) => n.id === id && n.title === "wr-ns-renamed"));

  await ok(["kv", "namespace", "delete", "--namespace-id", id, "--skip-confirmation"]);
  const after = jsonIn(await ok(["kv", "namespace", "list"]));
  assert.ok(!after.some((n) => n.id === id));
});

test("the account is discovered through /memberships when CLOUDFLARE_ACCOUNT_ID is unset", async () => {
  const id = await createNamespace("wr-discovered", { withAccount: false });
  const listed = jsonIn(await ok(["kv", "namespace", "list"], { withAccount: false }));
  assert.ok(listed.some((n) => n.id === id));
});

test("kv key put, get, list and delete with --ttl and --metadata", async () => {
  const ns = await createNamespace("wr-keys");
  await ok(["kv", "key", "put", "greeting", "hello from wrangler", "--namespace-id", ns, "--remote"]);
  await ok(["kv", "key", "put", "user/1 x", "alice", "--namespace-id", ns, "--remote", "--ttl", "120", "--metadata", '{"role":"admin"}']);

  assert.equal((await ok(["kv", "key", "get", "greeting", "--namespace-id", ns, "--remote", "--text"])).trim(), "hello from wrangler");
  assert.equal((await ok(["kv", "key", "get", "user/1 x", "--namespace-id", ns, "--remote", "--text"])).trim(), "alice");

  const keys = jsonIn(await ok(["kv", "key", "list", "--namespace-id", ns, "--remote"]));
  assert.deepEqual(keys.map((k) => k.name), ["greeting", "user/1 x"]);
  const user = keys.find((k) => k.name === "user/1 x");
  assert.deepEqual(user.metadata, { role: "admin" });
  const now = Math.floor(Date.now() / 1000);
  assert.ok(user.expiration >= now + 100 && user.expiration <= now + 121, `expiration ${user.expiration}`);

  const prefixed = jsonIn(await ok(["kv", "key", "list", "--namespace-id", ns, "--remote", "--prefix", "user/"]));
  assert.deepEqual(prefixed.map((k) => k.name), ["user/1 x"]);

  await ok(["kv", "key", "delete", "greeting", "--namespace-id", ns, "--remote"]);
  const missing = await wrangler(["kv", "key", "get", "greeting", "--namespace-id", ns, "--remote", "--text"]);
  assert.match(missing.stdout + missing.stderr, /Value not found|404|not found/i);

  const short = await wrangler(["kv", "key", "put", "k", "v", "--namespace-id", ns, "--remote", "--ttl", "30"]);
  assert.notEqual(short.code, 0);
  assert.match(short.stdout + short.stderr, /Expiration TTL must be at least 60/);
});

test("kv key list follows the cursor across pages of 1000", async () => {
  const ns = await createNamespace("wr-paging");
  const items = Array.from({ length: 2500 }, (_, i) => ({ key: `k${String(i).padStart(4, "0")}`, value: "v" }));
  const file = join(work, "many.json");
  writeFileSync(file, JSON.stringify(items));
  await ok(["kv", "bulk", "put", file, "--namespace-id", ns, "--remote"]);
  const keys = jsonIn(await ok(["kv", "key", "list", "--namespace-id", ns, "--remote"]));
  assert.equal(keys.length, 2500);
  assert.deepEqual(keys.map((k) => k.name), items.map((i) => i.key));
});

test("kv bulk put, get and delete", async () => {
  const ns = await createNamespace("wr-bulk");
  const putFile = join(work, "put.json");
  writeFileSync(putFile, JSON.stringify([
    { key: "b1", value: "one" },
    { key: "b2", value: Buffer.from("two").toString("base64"), base64: true, metadata: { n: 2 } },
    { key: "b3", value: "three", expiration_ttl: 600 },
  ]));
  await ok(["kv", "bulk", "put", putFile, "--namespace-id", ns, "--remote"]);

  const getFile = join(work, "get.json");
  writeFileSync(getFile, JSON.stringify(["b1", "b2", "nope"]));
  const got = jsonIn(await ok(["kv", "bulk", "get", getFile, "--namespace-id", ns, "--remote"]));
  assert.equal(got.b1, "one");
  assert.equal(got.b2, "two");
  assert.equal(got.nope, null);

  const delFile = join(work, "del.json");
  writeFileSync(delFile, JSON.stringify(["b1", "b2"]));
  await ok(["kv", "bulk", "delete", delFile, "--namespace-id", ns, "--remote", "--force"]);
  const keys = jsonIn(await ok(["kv", "key", "list", "--namespace-id", ns, "--remote"]));
  assert.deepEqual(keys.map((k) => k.name), ["b3"]);
});
