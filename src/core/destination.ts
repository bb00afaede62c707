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
