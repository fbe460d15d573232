/**
 * Which issuer URLs a trust policy may name: `https://…`, or `http://` on the loopback
 * address only (a local issuer for tests and development). The server fetches the issuer's
 * discovery document and keys from there, so nothing else is accepted. Pure.
 */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Whether a URL's hostname is the loopback address, where plain http leaves no machine. */
export const isLoopbackHost = (hostname: string): boolean => LOOPBACK_HOSTS.has(hostname);

/** What is wrong with an issuer or JWKS URL, or undefined when it is acceptable. */
export function issuerUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(text)} is not a URL`;
  }
  if (url.username !== "" || url.password !== "") return "the URL may not carry credentials";
  if (url.search !== "" || url.hash !== "") return "the URL may not have a query or a fragment";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return undefined;
  return "the URL must be https (http only on 127.0.0.1, localhost or [::1])";
}

/** What is wrong with the `jwks_uri` an issuer's discovery names: https issuers keep https. */
export function jwksUriProblem(issuer: string, jwksUri: string): string | undefined {
  const problem = issuerUrlProblem(jwksUri);
  if (problem !== undefined) return problem;
  if (issuer.startsWith("https:") && !jwksUri.startsWith("https:")) {
    return "an https issuer's keys must come over https";
  }
  return undefined;
}
