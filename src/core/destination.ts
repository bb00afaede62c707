import { posix } from "node:path";
import { urlRefusal } from "./url-fence.js";

/** Where a task's output goes, read from its output format. */
export type Destination =
  | { kind: "reply" }
  | { kind: "channel"; channelId: string }
  | { kind: "file"; path: string }
  | { kind: "webhook"; url: string };

/**
 * `file:reports/weekly.md` or `write to reports/weekly.md` → a file; an http(s) URL → a
 * webhook; a Discord channel mention `<#123>` → that channel; anything else → a reply to the
 * requester where they asked.
 */
export function destinationOf(outputFormat: string): Destination {
  const file =
    /(?:^|\s)(?:file:\s*|(?:write|save) (?:it )?to (?:the )?(?:file )?)([\w./~-]+\.[\w]+)/i.exec(
      outputFormat,
    );
  if (file?.[1]) return { kind: "file", path: file[1] };
  const url = /https?:\/\/[^\s<>"')]+/i.exec(outputFormat);
  if (url) return { kind: "webhook", url: url[0].replace(/[.,;]+$/, "") };
  const channel = /<#(\d+)>/.exec(outputFormat);
  if (channel?.[1]) return { kind: "channel", channelId: channel[1] };
  return { kind: "reply" };
}

export function describeDestination(destination: Destination): string {
  switch (destination.kind) {
    case "reply":
      return "a reply to the requester";
    case "channel":
      return `channel <#${destination.channelId}>`;
    case "file":
      return `the file ${destination.path}`;
    case "webhook":
      return `a POST to ${new URL(destination.url).origin}`;
  }
}

/**
 * Why the destination an output format names will be refused, if it will: a URL outside
 * `allowed_urls`, a path that climbs out of the delivery folder. Known from the text alone, so
 * the requester can be asked for another before any work is done; the delivery itself checks
 * again (symbolic links, redirects, a config changed since).
 */
export function destinationRefusal(
  outputFormat: string,
  delivery: { allowed_urls: readonly string[] },
): string | undefined {
  const destination = destinationOf(outputFormat);
  if (destination.kind === "webhook") return urlRefusal(destination.url, delivery.allowed_urls);
  if (destination.kind === "file") {
    const path = posix.normalize(destination.path.replace(/^~\//, ""));
    if (posix.isAbsolute(path) || path === ".." || path.startsWith("../")) {
      return `${destination.path} is outside the delivery folder`;
    }
  }
  return undefined;
}
