/**
 * Names resolved over DNS-over-HTTPS (the JSON form Cloudflare's and Google's resolvers serve,
 * `application/dns-json`), so the addresses a name leads to can be checked before islet
 * connects to it. Workers have no resolver API of their own.
 */

/** RR types (RFC 1035 §3.2.2, RFC 3596): A and AAAA carry addresses; CNAMEs are followed by the resolver. */
const A = 1;
const AAAA = 28;

interface DohAnswer {
  Status?: number;
  Answer?: { type?: number; data?: string }[];
}

export type Resolution = { ok: true; addresses: string[] } | { ok: false; reason: string };

async function query(
  resolverUrl: string,
  name: string,
  type: number,
  signal: AbortSignal,
): Promise<DohAnswer> {
  const url = new URL(resolverUrl);
  url.searchParams.set("name", name);
  url.searchParams.set("type", String(type));
  const res = await fetch(url, { headers: { Accept: "application/dns-json" }, signal, redirect: "manual" });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`resolver answered ${res.status}`);
  }
  return (await res.json()) as DohAnswer;
}

/** Every A and AAAA address `name` resolves to (RCODE 3, NXDOMAIN, and no address at all are refusals). */
export async function resolveAddresses(
  resolverUrl: string,
  name: string,
  signal: AbortSignal,
): Promise<Resolution> {
  let answers: DohAnswer[];
  try {
    answers = await Promise.all([
      query(resolverUrl, name, A, signal),
      query(resolverUrl, name, AAAA, signal),
    ]);
  } catch {
    return { ok: false, reason: "could not be resolved" };
  }
  // RCODE 0 is NOERROR; anything else (NXDOMAIN, SERVFAIL, REFUSED) resolves to nothing usable.
  if (answers.some((a) => a.Status !== 0)) return { ok: false, reason: "does not resolve" };
  const addresses = answers.flatMap((a) =>
    (a.Answer ?? [])
      .filter((r) => (r.type === A || r.type === AAAA) && typeof r.data === "string")
      .map((r) => r.data as string),
  );
  if (addresses.length === 0) return { ok: false, reason: "does not resolve" };
  return { ok: true, addresses };
}
