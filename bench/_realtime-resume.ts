// The realtime-resume case of `npm run bench -- faults` (issue 31, item 2): a client drops while
// writes go on, one publish each, and reconnects. Subscribing plainly (all a client could do before
// positions) it gets none of what was written meanwhile; subscribing `after` the last position it
// handled it gets every one of them, in order, none twice. Counted, not assumed: each write's title
// is looked for among the frames. Size: BENCH_RESUME_EVENTS (default 200 written while away).
// (The hub's eviction between writes is the worker test's part: wrangler's local runtime has no
// handle to evict a Durable Object from outside.)
import type { WorkerCall } from "./_stack";
import { fmt } from "./table";

const AWAY = Number(process.env.BENCH_RESUME_EVENTS ?? 200);
/** Acknowledge at least this often, well inside the hub's 500-event window. */
const ACK_EVERY = 100;

interface RowFrame {
  type: string;
  row?: { title?: string };
  position?: number;
  seq?: number;
}

interface Listener {
  ws: WebSocket;
  frames: RowFrame[];
  /** Resolves once a frame matches (frames already in count). */
  until(match: (frame: RowFrame) => boolean): Promise<void>;
}

export async function realtimeResume(
  worker: { call: WorkerCall; fetch: typeof fetch },
  owner: { token: string; workspace: { id: string } },
): Promise<(string | number)[][]> {
  const base = `/v1/workspaces/${owner.workspace.id}`;
  const created = await worker.call(`${base}/tables`, {
    method: "POST",
    token: owner.token,
    body: { name: "feed", columns: [{ name: "title", type: "text" }] },
  });
  if (created.status !== 201) throw new Error(`bench: table creation failed with ${created.status}`);
  const keyRes = await worker.call(`${base}/keys`, {
    method: "POST",
    token: owner.token,
    body: { name: "bench resume", scopes: ["data:read"] },
  });
  if (keyRes.status !== 201) throw new Error(`bench: key creation failed with ${keyRes.status}`);
  const { token } = (await keyRes.json()) as { token: string };

  const write = async (title: string) => {
    const res = await worker.call(`${base}/tables/feed/rows`, {
      method: "POST",
      token: owner.token,
      body: { title },
    });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`bench: insert failed with ${res.status}`);
  };

  const listen = async (subscribe: Record<string, unknown>): Promise<Listener> => {
    const res = await worker.fetch("http://islet.bench/v1/realtime", {
      headers: { Upgrade: "websocket", Authorization: `Bearer ${token}` },
    });
    const ws = res.webSocket;
    if (res.status !== 101 || !ws) throw new Error(`bench: upgrade refused with ${res.status}`);
    ws.accept();
    const frames: RowFrame[] = [];
    const waiting: { match: (f: RowFrame) => boolean; resolve: () => void }[] = [];
    ws.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      const frame = JSON.parse(event.data) as RowFrame;
      frames.push(frame);
      if (typeof frame.seq === "number" && frame.seq % ACK_EVERY === 0)
        ws.send(JSON.stringify({ type: "ack", seq: frame.seq }));
      for (const w of waiting.filter((w) => w.match(frame))) w.resolve();
    });
    const listener: Listener = {
      ws,
      frames,
      until: (match) =>
        frames.some(match) ? Promise.resolve() : new Promise((resolve) => waiting.push({ match, resolve })),
    };
    ws.send(JSON.stringify({ type: "subscribe", tables: ["feed"], ...subscribe }));
    await listener.until((f) => f.type === "subscribed");
    return listener;
  };
  /** Every frame the hub had for the socket has arrived (it answers frames in order). */
  const drain = async (l: Listener, id: string) => {
    l.ws.send(JSON.stringify({ type: "ping", id }));
    await l.until((f) => f.type === "pong" && (f as { id?: string }).id === id);
  };

  // Connected: ten events, the last position handled is remembered; then the client drops.
  const first = await listen({});
  for (let i = 0; i < 10; i++) await write(`before-${i}`);
  await first.until((f) => f.row?.title === "before-9");
  const last = first.frames.filter((f) => f.type.startsWith("row.")).at(-1)?.position ?? 0;
  first.ws.close(1000);

  const awayTitles = Array.from({ length: AWAY }, (_, i) => `away-${i}`);
  for (const title of awayTitles) await write(title);

  const count = (l: Listener) => {
    const titles = l.frames.map((f) => f.row?.title).filter((t): t is string => t !== undefined);
    const seen = new Set(titles);
    const recovered = awayTitles.filter((t) => seen.has(t)).length;
    return { recovered, lost: AWAY - recovered, duplicated: titles.length - seen.size };
  };

  const plain = await listen({});
  await drain(plain, "plain");
  const plainCount = count(plain);
  plain.ws.close(1000);

  const started = performance.now();
  const resumed = await listen({ after: last });
  await resumed.until((f) => f.row?.title === `away-${AWAY - 1}`);
  const resumeMs = performance.now() - started;
  // And live again afterwards: the next write arrives once, right after the replay.
  await write("live-after-resume");
  await resumed.until((f) => f.row?.title === "live-after-resume");
  await drain(resumed, "resumed");
  const resumedCount = count(resumed);
  const positions = resumed.frames.flatMap((f) =>
    f.type.startsWith("row.") && typeof f.position === "number" ? [f.position] : [],
  );
  const inOrder = positions.every((p, i) => i === 0 || p === (positions[i - 1] ?? 0) + 1);
  resumed.ws.close(1000);

  return [
    [
      "reconnect, plain subscribe (no position)",
      AWAY,
      plainCount.recovered,
      plainCount.lost,
      plainCount.duplicated,
      "–",
    ],
    [
      `reconnect, subscribe after ${last}${inOrder ? "" : " (OUT OF ORDER)"}`,
      AWAY,
      resumedCount.recovered,
      resumedCount.lost,
      resumedCount.duplicated,
      fmt(resumeMs, 0),
    ],
  ];
}
