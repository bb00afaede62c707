/**
 * Whether a URL chosen by task text may receive an output. Both sides are parsed (WHATWG URL)
 * and compared part by part, never as strings: the same scheme, host and port, no
 * credentials, and the allowed path as a prefix ending on a segment boundary. The parser
 * resolves dot segments (`..`, `%2e%2e`); an encoded slash or backslash is refused because a
 * server may decode it into a segment the fence never saw.
 */
export function urlRefusal(url: string, allowed: readonly string[]): string | undefined {
  const target = URL.canParse(url) ? new URL(url) : undefined;
  if (target === undefined || (target.protocol !== "http:" && target.protocol !== "https:")) {
    return `${url} is not a valid http(s) URL`;
  }
  const shown = `${target.origin}${target.pathname}`;
  if (target.username !== "" || target.password !== "") {
    return `${target.origin} carries credentials; they are not allowed in delivery URLs (delivery.allowed_urls)`;
  }
  if (/%(2f|5c)/i.test(target.pathname)) {
    return `${shown} has an encoded slash in its path; it is not in delivery.allowed_urls`;
  }
  const fits = allowed.some((entry) => URL.canParse(entry) && within(target, new URL(entry)));
  return fits ? undefined : `${shown} is not in delivery.allowed_urls`;
}

function within(target: URL, allowed: URL): boolean {
  if (target.protocol !== allowed.protocol) return false;
  // `hostname` and `port` come normalised: lower case, IDNA, default ports as "".
  if (target.hostname !== allowed.hostname || target.port !== allowed.port) return false;
  const prefix = allowed.pathname.replace(/\/+$/, "");
  return prefix === "" || target.pathname === prefix || target.pathname.startsWith(`${prefix}/`);
}
