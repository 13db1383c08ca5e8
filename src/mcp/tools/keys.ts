import { z } from "zod";
import { shownOnce } from "../../services/core/schemas";
import {
  CreatedKey,
  createKey,
  createKeyInput,
  getKey,
  KEYS_NEEDS,
  KeyView,
  keyTarget,
  listKeys,
  revokeKey,
  rotateKey,
  rotateKeyInput,
  workspaceScoped,
} from "../../services/keys";
import { additive, destructive, readOnly, tool, withoutWorkspace } from "../tool";

/** Keys for keys that may manage keys (`keys:manage`), confined as REST confines them. */
const { manage } = KEYS_NEEDS;

/** A replay (the same idempotencyKey again) answers without the token, shown once. */
const Created = CreatedKey.extend({ token: shownOnce("The key's token") });

export const keyTools = [
  tool({
    name: "list_keys",
    title: "List API keys",
    description: "The workspace's API keys: prefixes and metadata, never secrets.",
    rest: { operationId: "listKeys" },
    need: manage,
    input: withoutWorkspace(workspaceScoped),
    output: z.object({ keys: z.array(KeyView) }),
    annotations: readOnly,
    run: async (ctx, input) => ({ keys: await listKeys({ ctx, input }) }),
  }),
  tool({
    name: "get_key",
    title: "Describe an API key",
    description: "One API key's metadata and status.",
    rest: { operationId: "getKey" },
    need: manage,
    input: withoutWorkspace(keyTarget),
    output: KeyView,
    annotations: readOnly,
    run: (ctx, input) => getKey({ ctx, input }),
  }),
  tool({
    name: "create_key",
    title: "Create an API key",
    description:
      "Mints a key with the given scopes (never more than this credential holds), optional table allowlist, caps and expiry. The token is returned this once.",
    rest: { operationId: "createKey" },
    need: manage,
    input: withoutWorkspace(createKeyInput),
    output: Created,
    shownOnce: ["token"],
    annotations: additive,
    run: (ctx, input) => createKey({ ctx, input }),
  }),
  tool({
    name: "rotate_key",
    title: "Rotate an API key",
    description:
      "Issues a replacement with the same grants; the old key stops after `graceSeconds` (0: now) and its open connections close then.",
    rest: { operationId: "rotateKey" },
    need: manage,
    input: withoutWorkspace(rotateKeyInput),
    output: Created,
    shownOnce: ["token"],
    annotations: { ...destructive, idempotentHint: false },
    run: (ctx, input) => rotateKey({ ctx, input }),
  }),
  tool({
    name: "revoke_key",
    title: "Revoke an API key",
    description: "Stops a key (and every key minted from it) now; its open connections close at once.",
    rest: { operationId: "revokeKey" },
    need: manage,
    input: withoutWorkspace(keyTarget),
    output: KeyView,
    annotations: destructive,
    run: (ctx, input) => revokeKey({ ctx, input }),
  }),
];
