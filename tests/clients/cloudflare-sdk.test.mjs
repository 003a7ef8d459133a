// The official cloudflare 7.3.0 SDK, unchanged but for baseURL, against a real Kivi server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import Cloudflare from "cloudflare";
import { startKivi } from "./kivi.mjs";

let kivi, cf, account_id;

before(async () => {
  kivi = await startKivi();
  account_id = kivi.account;
  cf = new Cloudflare({ baseURL: kivi.api, apiToken: kivi.token, maxRetries: 0 });
});
after(async () => kivi?.stop());

test("namespaces: create, get, rename, list across pages, delete", async () => {
  const titles = ["sdk-c", "sdk-a", "sdk-e", "sdk-b", "sdk-d"];
  const created = [];
  for (const title of titles) created.push(await cf.kv.namespaces.create({ account_id, title }));
  assert.match(created[0].id, /^[0-9a-f]{32}$/);
  assert.equal((await cf.kv.namespaces.get(created[0].id, { account_id })).title, "sdk-c");

  const renamed = await cf.kv.namespaces.update(created[0].id, { account_id, title: "sdk-c2" });
  assert.equal(renamed.title, "sdk-c2");

  // The SDK's auto-pagination asks page after page until one comes back empty.
  const listed = [];
  for await (const ns of cf.kv.namespaces.list({ account_id, per_page: 2, order: "title", direction: "asc" })) listed.push(ns.title);
  assert.deepEqual(listed, ["sdk-a", "sdk-b", "sdk-c2", "sdk-d", "sdk-e"]);

  await assert.rejects(cf.kv.namespaces.create({ account_id, title: "sdk-a" }), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.errors[0].code, 10014);
    return true;
  });

  for (const ns of created) await cf.kv.namespaces.delete(ns.id, { account_id });
  const after = [];
  for await (const ns of cf.kv.namespaces.list({ account_id })) after.push(ns);
  assert.equal(after.length, 0);
  await assert.rejects(cf.kv.namespaces.get(created[1].id, { account_id }), (e) => e.status === 404 && e.errors[0].code === 10013);
});

test("values: update with metadata and TTL, get, metadata, delete", async () => {
  const { id: namespace_id } = await cf.kv.namespaces.create({ account_id, title: "sdk-values" });
  const key = "hello/world key";
  await cf.kv.namespaces.values.update(encodeURIComponent(key), {
    account_id, namespace_id, value: "Hello, Kivi!", metadata: JSON.stringify({ lang: "en", n: 1 }), expiration_ttl: 300,
  });
  const response = await cf.kv.namespaces.values.get(encodeURIComponent(key), { account_id, namespace_id });
  assert.equal(await response.text(), "Hello, Kivi!");
  const expiration = Number(response.headers.get("expiration"));
  const now = Math.floor(Date.now() / 1000);
  assert.ok(expiration >= now + 290 && expiration <= now + 301, `expiration ${expiration}`);

  assert.deepEqual(await cf.kv.namespaces.metadata.get(encodeURIComponent(key), { account_id, namespace_id }), { lang: "en", n: 1 });

  await cf.kv.namespaces.values.delete(encodeURIComponent(key), { account_id, namespace_id });
  await assert.rejects(cf.kv.namespaces.values.get(encodeURIComponent(key), { account_id, namespace_id }), (e) => e.status === 404);

  await assert.rejects(
    cf.kv.namespaces.values.update("short", { account_id, namespace_id, value: "v", expiration_ttl: 30 }),
    (e) => e.status === 400 && /Expiration TTL must be at least 60/.test(e.errors[0].message));
});

test("keys: list across pages with prefix and limit", async () => {
  const { id: namespace_id } = await cf.kv.namespaces.create({ account_id, title: "sdk-keys" });
  const body = [];
  for (let i = 0; i < 35; i++) body.push({ key: `sdk/${String(i).padStart(2, "0")}`, value: `v${i}`, metadata: { i } });
  body.push({ key: "other", value: "x" });
  const result = await cf.kv.namespaces.bulkUpdate(namespace_id, { account_id, body });
  assert.equal(result.successful_key_count, 36);

  const names = [];
  let pages = 0;
  const firstPage = await cf.kv.namespaces.keys.list(namespace_id, { account_id, prefix: "sdk/", limit: 10 });
  for await (const page of firstPage.iterPages()) {
    pages++;
    for (const k of page.getPaginatedItems()) names.push(k.name);
  }
  assert.equal(pages, 4);
  assert.deepEqual(names, body.slice(0, 35).map((b) => b.key));

  const first = await cf.kv.namespaces.keys.list(namespace_id, { account_id, prefix: "sdk/", limit: 10 });
  assert.deepEqual(first.result[3].metadata, { i: 3 });
});

test("bulk: update with base64 and expiration, get with and without metadata, delete", async () => {
  const { id: namespace_id } = await cf.kv.namespaces.create({ account_id, title: "sdk-bulk" });
  const in10min = Math.floor(Date.now() / 1000) + 600;
  await cf.kv.namespaces.bulkUpdate(namespace_id, {
    account_id,
    body: [
      { key: "a", value: "alpha", metadata: { tag: "x" } },
      { key: "b", value: Buffer.from("bravo").toString("base64"), base64: true, expiration: in10min },
      { key: "j", value: JSON.stringify({ deep: [1, 2] }) },
    ],
  });
  const plain = await cf.kv.namespaces.bulkGet(namespace_id, { account_id, keys: ["a", "b", "missing"] });
  assert.deepEqual(plain.values, { a: "alpha", b: "bravo", missing: null });

  const withMeta = await cf.kv.namespaces.bulkGet(namespace_id, { account_id, keys: ["a", "b"], withMetadata: true });
  assert.deepEqual(withMeta.values.a, { value: "alpha", metadata: { tag: "x" } });
  assert.equal(withMeta.values.b.expiration, in10min);

  const json = await cf.kv.namespaces.bulkGet(namespace_id, { account_id, keys: ["j"], type: "json" });
  assert.deepEqual(json.values.j, { deep: [1, 2] });

  const deleted = await cf.kv.namespaces.bulkDelete(namespace_id, { account_id, body: ["a", "b"] });
  assert.equal(deleted.successful_key_count, 2);
  const left = [];
  for await (const k of cf.kv.namespaces.keys.list(namespace_id, { account_id })) left.push(k.name);
  assert.deepEqual(left, ["j"]);
});

test("accounts list ends: the SDK pages until a page is empty", async () => {
  const accounts = [];
  for await (const account of cf.accounts.list()) accounts.push(account.id);
  assert.deepEqual(accounts, [account_id]);
});

test("a wrong token is refused with Cloudflare's authentication error", async () => {
  const bad = new Cloudflare({ baseURL: kivi.api, apiToken: "wrong", maxRetries: 0 });
  await assert.rejects(bad.kv.namespaces.create({ account_id, title: "nope" }), (e) => e.status === 403 && e.errors[0].code === 10000);
});
