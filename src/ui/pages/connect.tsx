// Connect: everything a person needs to reach this workspace from code or an agent, with the
// workspace's own values filled in — its id (the API takes the id, never the slug), the base URL,
// a curl line, the typed client, MCP client configurations and a realtime socket. Secrets are
// never filled in: each snippet names the key it needs (`isk_…`), created under API keys.
import { Hono } from "hono";
import type { Child } from "hono/jsx";
import type { AppEnv } from "../../http/env";
import { listTables } from "../../services/tables";
import { currentWorkspace, navOf, type PageContext, wsPath } from "../kit";
import { render } from "../layout";

/** Where a snippet's key goes: spelled as the README spells it, and unmistakably not a key. */
export const KEY_PLACEHOLDER = "isk_…";

export interface ConnectValues {
  base: string;
  workspaceId: string;
  table: string;
}

/** Every snippet, by id: pure strings from the workspace's values (tested as they are shown). */
export function connectSnippets({ base, workspaceId, table }: ConnectValues): Record<string, string> {
  const mcp = `${base}/mcp`;
  const socket = `${base.replace(/^http/, "ws")}/v1/realtime`;
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  return {
    // Quoted: `?` is a glob character in zsh and bash.
    curl: `curl -H "Authorization: Bearer ${KEY_PLACEHOLDER}" \\\n  "${base}/v1/workspaces/${workspaceId}/tables/${table}/rows?limit=10"`,
    client: [
      `import { isletClient } from "./client"; // the repository's client/ (npm run client)`,
      "",
      `const islet = isletClient("${base}", process.env.ISLET_KEY); // ${KEY_PLACEHOLDER}`,
      `const { data, error } = await islet.GET("/v1/workspaces/{workspaceId}/tables/{table}/rows", {`,
      `  params: { path: { workspaceId: "${workspaceId}", table: "${table}" }, query: { limit: 10 } },`,
      "});",
      "if (error) console.error(error.error.message);",
      "else console.log(data.rows);",
    ].join("\n"),
    // Claude Desktop starts local (stdio) servers from its file; mcp-remote bridges to HTTP. The
    // header is passed through an env var without spaces in args (mcp-remote's advice for Windows).
    "claude-desktop": json({
      mcpServers: {
        islet: {
          command: "npx",
          args: [
            "-y",
            "mcp-remote",
            mcp,
            "--header",
            // Claude Desktop expands ${ISLET_AUTH} from `env` below; the text is literal here.
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a placeholder for the client, not for JS
            "Authorization:${ISLET_AUTH}",
            ...(base.startsWith("http://") ? ["--allow-http"] : []),
          ],
          env: { ISLET_AUTH: `Bearer ${KEY_PLACEHOLDER}` },
        },
      },
    }),
    "claude-code": `claude mcp add --transport http islet ${mcp} \\\n  --header "Authorization: Bearer ${KEY_PLACEHOLDER}"`,
    cursor: json({
      mcpServers: { islet: { url: mcp, headers: { Authorization: `Bearer ${KEY_PLACEHOLDER}` } } },
    }),
    realtime: [
      `// A ticket (single use, 30 s) opens the socket: no long-lived key in a URL.`,
      `const res = await fetch("${base}/v1/realtime/ticket", {`,
      `  method: "POST",`,
      `  headers: { Authorization: "Bearer ${KEY_PLACEHOLDER}", "Content-Type": "application/json" },`,
      `  body: JSON.stringify({ workspaceId: "${workspaceId}" }),`,
      "});",
      "const { ticket } = await res.json();",
      `const socket = new WebSocket(\`${socket}?ticket=\${ticket}\`);`,
      `socket.onopen = () => socket.send(JSON.stringify({ type: "subscribe", tables: ["${table}"] }));`,
      "socket.onmessage = (event) => {",
      "  const message = JSON.parse(event.data); // row.created, row.updated, row.deleted",
      `  if (message.seq) socket.send(JSON.stringify({ type: "ack", seq: message.seq }));`,
      "  console.log(message);",
      "};",
    ].join("\n"),
  };
}

const Snippet = ({
  id,
  title,
  children,
  text,
}: {
  id: string;
  title: string;
  children?: Child;
  text: string;
}) => (
  <section class="snippet" aria-labelledby={`${id}-title`}>
    <h2 id={`${id}-title`}>{title}</h2>
    {children}
    <pre class="out" id={`connect-${id}`}>
      {text}
    </pre>
    <button type="button" class="secondary" data-copy={`connect-${id}`} hidden>
      Copy
    </button>
  </section>
);

async function connectPage(c: PageContext): Promise<Response> {
  const workspace = await currentWorkspace(c);
  const tables = await listTables({ ctx: c.var.ctx, input: { workspaceId: workspace.id } });
  const base = c.get("config").PUBLIC_URL.replace(/\/+$/, "");
  const table = tables[0]?.name ?? "notes";
  const snippets = connectSnippets({ base, workspaceId: workspace.id, table });
  const text = (id: string) => snippets[id] ?? "";
  return render(
    c,
    { title: "Connect", workspace: navOf(workspace), section: "connect" },
    <>
      <h1>Connect to {workspace.name}</h1>
      <table class="data facts">
        <tbody>
          <tr>
            <th>Workspace id</th>
            <td>
              <code id="connect-workspace-id">{workspace.id}</code>{" "}
              <button type="button" class="secondary" data-copy="connect-workspace-id" hidden>
                Copy
              </button>
              <div class="muted">
                The API takes this id in paths (<code>/v1/workspaces/{workspace.id}/…</code>); the slug{" "}
                <code>{workspace.slug}</code> only confirms a deletion.
              </div>
            </td>
          </tr>
          <tr>
            <th>Base URL</th>
            <td>
              <code id="connect-base">{base}</code>
            </td>
          </tr>
          <tr>
            <th>API reference</th>
            <td>
              <a href="/docs">{base}/docs</a> · <a href="/openapi.json">openapi.json</a>
            </td>
          </tr>
          <tr>
            <th>MCP endpoint</th>
            <td>
              <code>{base}/mcp</code>{" "}
              <span class="muted">(Streamable HTTP; a key's workspace is the server's)</span>
            </td>
          </tr>
        </tbody>
      </table>
      <p>
        Every snippet needs an API key in place of <code>{KEY_PLACEHOLDER}</code>:{" "}
        <a href={wsPath(c, "/keys")}>create one under API keys</a> with the scopes it needs (it is shown
        once).
        {tables.length === 0 ? " The snippets use a table named notes: create it first under Tables." : ""}
      </p>
      <Snippet id="curl" title="curl" text={text("curl")} />
      <Snippet id="client" title="Typed client (TypeScript)" text={text("client")} />
      <Snippet id="claude-desktop" title="Claude Desktop" text={text("claude-desktop")}>
        <p class="muted">In claude_desktop_config.json (Settings → Developer → Edit config).</p>
      </Snippet>
      <Snippet id="claude-code" title="Claude Code" text={text("claude-code")} />
      <Snippet id="cursor" title="Cursor" text={text("cursor")}>
        <p class="muted">In .cursor/mcp.json of the project, or ~/.cursor/mcp.json for every project.</p>
      </Snippet>
      <Snippet id="realtime" title="Realtime (row events over a WebSocket)" text={text("realtime")} />
    </>,
  );
}

export const connectPages = new Hono<AppEnv>().get("/app/w/:workspaceId/connect", (c) => connectPage(c));
