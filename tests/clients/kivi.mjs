// Starts a real Kivi server process (the build the test script made) on a loopback port for one test file.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../..");

function serverDll() {
  if (process.env.KIVI_SERVER_DLL) return process.env.KIVI_SERVER_DLL;
  for (const config of ["Release", "Debug"]) {
    const dll = join(repoRoot, "src/Kivi.Server/bin", config, "net10.0/Kivi.Server.dll");
    if (existsSync(dll)) return dll;
  }
  throw new Error("Kivi.Server.dll not found: build the solution first (the README's test command does)");
}

export async function startKivi() {
  const data = mkdtempSync(join(tmpdir(), "kivi-clients-"));
  const token = "client-test-token-" + Math.random().toString(36).slice(2);
  const account = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";
  const child = spawn("dotnet", [serverDll(), "--urls", "http://127.0.0.1:0", "--data", data, "--admin-token", token, "--account-id", account],
    { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error("Kivi did not start within 60 s:\n" + output)), 60_000);
    const onData = (chunk) => {
      output += chunk;
      const m = /Now listening on: (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) { clearTimeout(timer); resolvePromise(m[1]); }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`Kivi exited with ${code}:\n${output}`)); });
  });
  return {
    url,
    api: `${url}/client/v4`,
    token,
    account,
    async stop() {
      child.removeAllListeners("exit");
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(data, { recursive: true, force: true });
    },
  };
}
