import { BRIEF_FIELD_LABELS, type Brief, type BriefField, MAX_FIELD_CHARS } from "../core/brief.js";
import { StewardError } from "../core/errors.js";
import type { SourceRef } from "../core/task.js";
import { normaliseFields } from "./parse.js";

/*
 * What intake refuses before anything is routed or stored: an empty request, and anything that
 * came from outside and is over its limit.
 */

/** A request's words: its free text and its structured fields. */
interface RequestWords {
  text?: string;
  fields?: Partial<Record<BriefField, string | string[]>>;
}

/** What a request carries beside its words: who sent it, from where, under which key. */
interface RequestLabels {
  requester: string;
  source: string;
  dedupeKey?: string;
  sourceRef?: SourceRef;
  attachments?: string[];
}

/** Refuses what cannot become a brief before anything is stored. */
export function checkRequestSize(request: RequestWords): void {
  const values = [request.text ?? "", ...Object.values(request.fields ?? {}).flat()];
  if (values.every((value) => value.trim() === "")) {
    throw new StewardError("empty_request", "The request is empty: say what you need done.");
  }
}

/** Longest requester, source, delivery key or source reference stored: names and ids, not prose. */
export const MAX_LABEL_CHARS = 200;
/** At most this many attachments, each a URL of at most this many characters. */
const MAX_ATTACHMENTS = 20;
const MAX_ATTACHMENT_CHARS = 2000;

/**
 * Everything stored beside the brief that came from outside is bounded too: a sender controls
 * the requester of a webhook, a message's attachments, a delivery key.
 */
export function checkLabelSizes(request: RequestLabels): void {
  const labels: [string, string | undefined][] = [
    ["Requester", request.requester],
    ["Source", request.source],
    ["Delivery key", request.dedupeKey],
    ...Object.entries(request.sourceRef ?? {}).map(([key, value]): [string, string] => [
      `Source reference ${key}`,
      value,
    ]),
  ];
  for (const [label, value] of labels) {
    if (value !== undefined && value.length > MAX_LABEL_CHARS) {
      throw new StewardError(
        "field_too_long",
        `${label} is ${value.length} characters; the limit is ${MAX_LABEL_CHARS}.`,
      );
    }
  }
  const attachments = request.attachments ?? [];
  if (
    attachments.length > MAX_ATTACHMENTS ||
    attachments.some((url) => url.length > MAX_ATTACHMENT_CHARS)
  ) {
    throw new StewardError(
      "field_too_long",
      `At most ${MAX_ATTACHMENTS} attachments of ${MAX_ATTACHMENT_CHARS} characters each are kept.`,
    );
  }
}

/**
 * What intake refuses in a request made of fields alone (empty, a field over the limit), checked
 * without routing or storing it: for an adapter that must choose whether its answer is public
 * before the request is filed. `submit` checks the same again.
 */
export function checkFieldsOnlyRequest(request: Pick<RequestWords, "fields">): void {
  checkRequestSize(request);
  checkFieldSizes(normaliseFields(request.fields ?? {}));
}

export function checkFieldSizes(brief: Brief): void {
  for (const [field, value] of Object.entries(brief) as [BriefField, string | string[]][]) {
    const length = Array.isArray(value) ? value.join("\n").length : value.length;
    if (length > MAX_FIELD_CHARS) {
      throw new StewardError(
        "field_too_long",
        `${BRIEF_FIELD_LABELS[field]} is ${length} characters; the limit is ${MAX_FIELD_CHARS}. ` +
          "Shorten it or link to the material instead.",
      );
    }
  }
}
