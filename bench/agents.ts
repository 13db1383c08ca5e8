// `npm run bench -- agents`: MCP over Streamable HTTP and over WebSocket against the same verb
// through REST; revoke → socket closed; one row event fanned out to 1,000 sockets on one hub;
// what a socket costs. Against the real Worker in wrangler's local runtime (workerd).

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { setLogSink } from "../src/lib/logger";
import { seedOwner, startStack, startWorker } from "./_stack";
import { fmt, median, percentile, printTable, time } from "./table";

const CALLS = Number(process.env.BENCH_AGENTS_CALLS ?? 100);
const REVOKES = Number(process.env.BENCH_AGENTS_REVOKES ?? 50);
const SOCKETS = Number(process.env.BENCH_AGENTS_SOCKETS ?? 1000);

interface BenchSocket {
  ws: WebSocket;
  closed: Promise<number>;
  onText(listener: (text: string) => void): void;
}

/** One JSON-RPC message per text frame, as the SDK's WebSocketClientTransport frames it. */
class SocketTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  constructor(private readonly socket: BenchSocket) {
    socket.onText((text) => this.onmessage?.(JSON.parse(text) as JSONRPCMessage));
  }
  async start(): Promise<void> {}
  async send(message: JSONRPCMessage): Promise<void> {
    this.socket.ws.send(JSON.stringify(message));
  }
  async close(): Promise<void> {
    this.socket.ws.close(1000);
  }
}

function benchSocket(socket: WebSocket): BenchSocket {
  const listeners: ((text: string) => void)[] = [];
  socket.addEventListener("message", (e) => {
    if (typeof e.data === "string") for (const l of listeners) l(e.data);
  });
  const closed = new Promise<number>((resolve) => socket.addEventListener("close", (e) => resolve(e.code)));
  return { ws: socket, closed, onText: (l) => listeners.push(l) };
}

/** Workerd's resident memory (all its processes), in KiB. */
function workerdRssKiB(): number {
  let pids: string[] = [];
  try {
    pids = execFileSync("pgrep", ["-f", "workerd"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  } catch {
    return Number.NaN;
  }
  let total = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

export default async function bench(): Promise<void> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_SEND_METRICS = "false";
  const stack = await startStack();
  setLogSink(() => {});
  const owner = await seedOwner(stack.vars, "enterprise");
  const worker = await startWorker(stack.vars);
  const { call } = worker;
  const ws = owner.workspace;

  // Sockets and MCP go over the network to wrangler's dev server, as an agent's would (Node's
  // WebSocket may set headers), so all three ways of calling the verb cross the same proxy.
  const base = worker.url;
  async function open(path: string, token: string, protocols?: string): Promise<BenchSocket> {
    const socket = new WebSocket(`${base.replace(/^http/, "ws")}${path}`, {
      ...(protocols ? { protocols: [protocols] } : {}),
      headers: { Authorization: `Bearer ${token}` },
    } as unknown as string[]);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve());
      socket.addEventListener("error", () => reject(new Error(`bench: socket to ${path} refused`)));
    });
    return benchSocket(socket);
  }

  /** Straight into the Worker's runtime (no dev proxy): for many sockets, whose memory is measured. */
  async function openDirect(path: string, token: string): Promise<BenchSocket> {
    const res = await worker.fetch(`http://islet.bench${path}`, {
      headers: { Upgrade: "websocket", Authorization: `Bearer ${token}` },
    });
    const socket = res.webSocket;
    if (res.status !== 101 || !socket) throw new Error(`bench: upgrade refused with ${res.status}`);
    socket.accept();
    return benchSocket(socket);
  }

  const mint = async (scopes: string[]) => {
    const res = await call(`/v1/workspaces/${ws.id}/keys`, {
      method: "POST",
      token: owner.token,
      body: { name: "bench", scopes },
    });
    if (res.status !== 201) throw new Error(`bench: key creation failed with ${res.status}`);
    return (await res.json()) as { token: string; key: { id: string } };
  };

  try {
    const key = await mint(["data:read", "data:write", "schema:write"]);
    const created = await call(`/v1/workspaces/${ws.id}/tables`, {
      method: "POST",
      token: owner.token,
      body: { name: "items", columns: [{ name: "title", type: "text" }] },
    });
    if (created.status !== 201) throw new Error(`bench: table creation failed with ${created.status}`);
    await call(`/v1/workspaces/${ws.id}/tables/items/rows`, {
      method: "POST",
      token: owner.token,
      body: { title: "x" },
    });

    // 1. The same verb (getRow) three ways.
    const rest = () =>
      time(async () => {
        const res = await fetch(`${base}/v1/workspaces/${ws.id}/tables/items/rows/1`, {
          headers: { Authorization: `Bearer ${key.token}` },
        });
        if (res.status !== 200) throw new Error(`bench: REST read failed with ${res.status}`);
        await res.arrayBuffer();
      });
    const setupHttp: number[] = [];
    const http = new Client({ name: "bench", version: "1" });
    setupHttp.push(
      await time(() =>
        http.connect(
          new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
            requestInit: { headers: { Authorization: `Bearer ${key.token}` } },
          }),
        ),
      ),
    );
    setupHttp.push(await time(() => http.listTools()));
    const setupWs: number[] = [];
    const wsClient = new Client({ name: "bench", version: "1" });
    const socket = await open("/mcp/ws", key.token, "mcp");
    setupWs.push(await time(() => wsClient.connect(new SocketTransport(socket))));
    setupWs.push(await time(() => wsClient.listTools()));
    const tool = (client: Client) => () =>
      time(async () => {
        const result = await client.callTool({ name: "get_row", arguments: { table: "items", id: 1 } });
        if (result.isError) throw new Error(`bench: tool call failed: ${JSON.stringify(result.content)}`);
      });
    const series = [
      { label: "REST GET …/rows/1 (baseline)", run: rest, samples: [] as number[] },
      { label: "MCP tools/call get_row over HTTP", run: tool(http), samples: [] as number[] },
      { label: "MCP tools/call get_row over WebSocket", run: tool(wsClient), samples: [] as number[] },
    ];
    for (let i = 0; i < 10; i++) for (const s of series) await s.run();
    for (let i = 0; i < CALLS; i++) for (const s of series) s.samples.push(await s.run());
    const baseline = median(series[0]?.samples ?? []);
    printTable(
      ["call", "n", "median ms", "p99 ms", "median ratio"],
      [
        ...series.map((s) => [
          s.label,
          s.samples.length,
          fmt(median(s.samples)),
          fmt(percentile(s.samples, 99)),
          `${fmt(median(s.samples) / baseline, 2)}×`,
        ]),
        [
          "MCP initialize + tools/list over HTTP (once)",
          1,
          fmt((setupHttp[0] ?? 0) + (setupHttp[1] ?? 0)),
          "",
          "",
        ],
        [
          "MCP initialize + tools/list over WebSocket (once)",
          1,
          fmt((setupWs[0] ?? 0) + (setupWs[1] ?? 0)),
          "",
          "",
        ],
      ],
    );
    await http.close();
    await wsClient.close();

    // 2. Revoke → socket closed: from the revoke's response to the close event (≤ 0: the close
    // arrived first), and from the revoke's start.
    const afterResponse: number[] = [];
    const afterStart: number[] = [];
    for (let i = 0; i < REVOKES; i++) {
      const victim = await mint(["data:read"]);
      // A socket that only listens (it never sends a frame): the case where a hub's own socket
      // left the client CLOSING until the hub's eviction (src/services/hub/relay.ts).
      const live = await open("/v1/realtime", victim.token);
      let closedAt = 0;
      const closed = live.closed.then((code) => {
        closedAt = performance.now();
        return code;
      });
      const start = performance.now();
      const res = await fetch(`${base}/v1/workspaces/${ws.id}/keys/${victim.key.id}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${owner.token}` },
      });
      await res.arrayBuffer();
      const answered = performance.now();
      const code = await closed;
      if (res.status !== 200 || code !== 4401) throw new Error(`bench: revoke ${res.status}, close ${code}`);
      afterResponse.push(closedAt - answered);
      afterStart.push(closedAt - start);
    }
    console.log("");
    printTable(
      ["revoke → socket closed (4401)", "n", "median ms", "max ms"],
      [
        ["from the revoke response", REVOKES, fmt(median(afterResponse)), fmt(Math.max(...afterResponse))],
        ["from the revoke request", REVOKES, fmt(median(afterStart)), fmt(Math.max(...afterStart))],
      ],
    );

    // 3. 1,000 sockets on one hub, and one row event fanned out to all of them.
    // A credential holds at most 200 sockets: the thousand are shared by five keys.
    const listeners = await Promise.all(
      Array.from({ length: Math.ceil(SOCKETS / 200) }, () => mint(["data:read"])),
    );
    const rssBefore = workerdRssKiB();
    const sockets: BenchSocket[] = [];
    const openStart = performance.now();
    for (let i = 0; i < SOCKETS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, SOCKETS - i) }, (_, j) =>
          openDirect("/v1/realtime", listeners[Math.floor((i + j) / 200)]?.token ?? ""),
        ),
      );
      sockets.push(...batch);
    }
    const openMs = performance.now() - openStart;
    await Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.onText((text) => {
              if (text.includes('"subscribed"')) resolve();
            });
            s.ws.send(JSON.stringify({ type: "subscribe", tables: ["items"] }));
          }),
      ),
    );
    const rssOpen = workerdRssKiB();
    const fanouts: number[] = [];
    for (let round = 0; round < 5; round++) {
      const received = sockets.map(
        (s) =>
          new Promise<void>((resolve) =>
            s.onText((text) => {
              if (text.includes(`"round-${round}"`)) resolve();
            }),
          ),
      );
      const start = performance.now();
      const res = await call(`/v1/workspaces/${ws.id}/tables/items/rows`, {
        method: "POST",
        token: owner.token,
        body: { title: `round-${round}` },
      });
      if (res.status !== 201) throw new Error(`bench: insert failed with ${res.status}`);
      await Promise.all(received);
      fanouts.push(performance.now() - start);
    }
    console.log("");
    printTable(
      ["1 hub, many sockets", "value"],
      [
        [
          `open ${SOCKETS} realtime sockets (50 at a time)`,
          `${fmt(openMs)} ms (${fmt(openMs / SOCKETS)} ms each)`,
        ],
        [`insert → event on all ${SOCKETS} sockets, median of 5`, `${fmt(median(fanouts))} ms`],
        [`… max of 5`, `${fmt(Math.max(...fanouts))} ms`],
        [
          "workerd resident memory per open socket (upper bound: the whole runtime's growth)",
          Number.isFinite(rssOpen - rssBefore) ? `${fmt((rssOpen - rssBefore) / SOCKETS, 1)} KiB` : "n/a",
        ],
        [
          "kept per hibernated socket: attachment (subscribed) + stored connection",
          `${JSON.stringify({ id: "sock_01m8tdem5hx1cjeyvya44w3hes", kind: "realtime", tables: ["items"], sent: 5, acked: 0 }).length} B in memory + ~1 KiB in the hub's SQLite`,
        ],
      ],
    );
    for (const s of sockets) s.ws.close(1000);
  } finally {
    await worker.dispose();
    await stack.stop();
  }
}
