import { Hono } from "hono";
export { Gatekeeper } from "../durable-objects/gatekeeper";
const app = new Hono<{ Bindings: { SMOKE?: string } }>();
app.get("/health", (c) => c.json({ status: "ok", smoke: c.env.SMOKE }));
export default app;
