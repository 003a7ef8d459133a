// A Worker whose KV binding is a Kivi namespace: a greeting with metadata, and a visit counter.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/greeting" && request.method === "PUT") {
      await env.KV.put("greeting", await request.text(), { metadata: { updated: new Date().toISOString() } });
      return new Response("saved\n");
    }
    if (url.pathname === "/") {
      const visits = Number((await env.KV.get("visits")) ?? 0) + 1;
      await env.KV.put("visits", String(visits));
      const { value, metadata } = await env.KV.getWithMetadata("greeting");
      return Response.json({ greeting: value ?? "Hello from workerd and Kivi!", updated: metadata?.updated ?? null, visits });
    }
    return new Response("not found\n", { status: 404 });
  },
};
