/**
 * Runs first in every fresh QuickJS context, before user code. QuickJS already has no host
 * objects (no fetch, timers, DOM, process or Workers APIs); this removes what is left that could
 * reach outside the computation: code generation from strings (eval, Function and the generator /
 * async function constructors reachable through `.constructor`) and the clock (a timing side
 * channel). It installs a bounded console and the serializer the host reads results through.
 * `__islet_log` takes one string and is removed from the global. When the host lends the call
 * capabilities (`__islet_host`, removed likewise), they appear as the frozen `islet` object:
 * `await islet.accounts.fetch(name, { method, path, query?, headers?, body? })` calls an API
 * account, whose credential the host injects and the code never sees.
 */
export const PRELUDE = `"use strict";
(function () {
  const log = globalThis.__islet_log;
  delete globalThis.__islet_log;
  const blocked = function () {
    throw new EvalError("code generation from strings is disabled in the sandbox");
  };
  Object.defineProperty(blocked, "prototype", { value: undefined });
  const constructors = [
    Function,
    Object.getPrototypeOf(function* () {}).constructor,
    Object.getPrototypeOf(async function () {}).constructor,
    Object.getPrototypeOf(async function* () {}).constructor,
  ];
  for (const C of constructors) {
    Object.defineProperty(C.prototype, "constructor", { value: blocked, writable: false, configurable: false });
  }
  Object.defineProperty(globalThis, "Function", { value: blocked, writable: false, configurable: false });
  Object.defineProperty(globalThis, "eval", { value: blocked, writable: false, configurable: false });

  const RealDate = Date;
  const noClock = function () {
    throw new TypeError("the clock is not available in the sandbox");
  };
  const SandboxDate = new Proxy(RealDate, {
    apply: noClock,
    construct(target, args, newTarget) {
      if (args.length === 0) noClock();
      return Reflect.construct(target, args, newTarget);
    },
    get(target, key, receiver) {
      return key === "now" ? noClock : Reflect.get(target, key, receiver);
    },
  });
  Object.defineProperty(RealDate.prototype, "constructor", { value: SandboxDate, writable: false, configurable: false });
  Object.defineProperty(globalThis, "Date", { value: SandboxDate, writable: false, configurable: false });

  const stringify = JSON.stringify;
  const parse = JSON.parse;

  const host = globalThis.__islet_host;
  delete globalThis.__islet_host;
  if (typeof host === "function") {
    const call = (name, request) => {
      let text;
      try {
        text = stringify(request === undefined ? null : request);
      } catch (error) {
        return Promise.reject(new TypeError("the request must be JSON-serialisable"));
      }
      return host(name, text).then((answer) => {
        const outcome = parse(answer);
        if (outcome.ok) return outcome.value;
        const error = new Error(outcome.error.message);
        error.name = "IsletError";
        error.code = outcome.error.code;
        throw error;
      });
    };
    const accounts = Object.freeze({
      fetch: (account, request) => call("accounts.fetch", { account, request }),
    });
    Object.defineProperty(globalThis, "islet", { value: Object.freeze({ accounts }), writable: false, configurable: false });
  }
  const show = (value) => {
    if (typeof value === "string") return value;
    try {
      const text = stringify(value);
      return text === undefined ? String(value) : text;
    } catch {
      return String(value);
    }
  };
  const write = (...values) => log(values.map(show).join(" "));
  const console = Object.freeze({ log: write, info: write, warn: write, error: write, debug: write });
  Object.defineProperty(globalThis, "console", { value: console, writable: false, configurable: false });

  const deepFreeze = (value) => {
    if (value && typeof value === "object" && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const key of Object.keys(value)) deepFreeze(value[key]);
    }
    return value;
  };
  Object.defineProperty(globalThis, "__islet_freeze", { value: deepFreeze });
  Object.defineProperty(globalThis, "__islet_parse", { value: JSON.parse });
  // The host reads every result through this: JSON text, or a marker for what JSON cannot hold.
  Object.defineProperty(globalThis, "__islet_serialize", {
    value: (value) => {
      if (value === undefined) return "null";
      const kind = typeof value;
      if (kind === "function" || kind === "symbol") return "!invalid:" + kind;
      try {
        const text = stringify(value);
        return text === undefined ? "null" : text;
      } catch (error) {
        return "!invalid:" + String(error && error.message);
      }
    },
  });
})();
`;
