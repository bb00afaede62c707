import { createHmac } from "node:crypto";
import { onTestFinished } from "vitest";
import { type HealthParts, startHttpServer } from "../../../src/adapters/http/server.js";
import { signWebhook } from "../../../src/adapters/http/signature.js";
import { loadConfigFile } from "../../../src/config/load.js";
import type { Config, WebhookConfig } from "../../../src/config/schema.js";
import type { Clock } from "../../../src/core/clock.js";
import type { Logger } from "../../../src/core/log.js";
import { Engine } from "../../../src/engine/engine.js";
import { testDatabase } from "../../helpers.js";

export const SECRET = "test-secret-do-not-log";
/** A Standard Webhooks secret: `whsec_` and the key in base64. */
export const STANDARD_SECRET = `whsec_${Buffer.from("standard-key-do-not-log").toString("base64")}`;

export interface LogLine {
  level: "info" | "warn" | "error";
  message: string;
  context?: Record<string, unknown>;
}

/** A Logger that keeps its lines, so tests can assert what an operator would read. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const record =
    (level: LogLine["level"]) => (message: string, context?: Record<string, unknown>) => {
      lines.push({ level, message, context });
    };
  return { lines, info: record("info"), warn: record("warn"), error: record("error") };
}

function webhook(overrides: Partial<WebhookConfig>): WebhookConfig {
  return {
    secret: SECRET,
    fields: {},
    text_field: "text",
    max_body_bytes: 64 * 1024,
    ...overrides,
  };
}

/**
 * A real engine on a real SQLite file behind a real server on 127.0.0.1:0. The engine is not
 * started, so tasks stay where intake put them.
 */
export async function startTestServer(
  options: {
    health?: () => HealthParts | Promise<HealthParts>;
    clock?: Clock;
    /** Brief fields intake requires, when not the default config's. */
    required?: Config["intake"]["required"];
  } = {},
) {
  const config = loadConfigFile("config/steward.yaml", {});
  if (options.required) config.intake.required = options.required;
  config.webhooks = {
    helpdesk: webhook({ category: "support" }),
    tickets: webhook({
      fields: {
        objective: "ticket.subject",
        inputs: "ticket.links",
        acceptance_criteria: "ticket.done_when",
      },
      requester_field: "ticket.customer.email",
      idempotency_field: "ticket.id",
    }),
    small: webhook({ category: "support", max_body_bytes: 256 }),
    unset: webhook({ secret: "" }),
    standard: webhook({ secret: STANDARD_SECRET, category: "support" }),
  };
  const database = testDatabase();
  const logger = recordingLogger();
  const engine = new Engine({
    config,
    configDir: "config",
    database,
    logger,
    clock: options.clock,
  });
  const server = await startHttpServer(engine, {
    host: "127.0.0.1",
    port: 0,
    logger,
    health:
      options.health ??
      (() => ({
        chat: { ok: true, status: "console" },
        scheduler: { ok: true, status: "ok" },
      })),
  });
  onTestFinished(() => server.close());
  const rows = (table: "tasks" | "task_events" | "outbox") =>
    (database.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const stored = () => ({
    tasks: rows("tasks"),
    events: rows("task_events"),
    outbox: rows("outbox"),
  });
  return { config, database, engine, logger, server, stored };
}

export interface Delivery {
  secret?: string;
  /** Unix seconds; now by default. */
  timestamp?: string;
  /** Overrides the computed signature; null sends none. */
  signature?: string | null;
  /** What the signature covers, when it should not be the body that is sent. */
  signedBody?: string;
  delivery?: string;
  headers?: Record<string, string>;
}

export function nowSeconds(): string {
  return String(Math.floor(Date.now() / 1000));
}

/** POSTs a body to /webhooks/<name>, signed as a sender would unless told otherwise. */
export async function deliver(
  url: string,
  name: string,
  body: string,
  delivery: Delivery = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const timestamp = delivery.timestamp ?? nowSeconds();
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-steward-timestamp": timestamp,
    ...delivery.headers,
  };
  const signature =
    delivery.signature === undefined
      ? signWebhook(delivery.secret ?? SECRET, timestamp, delivery.signedBody ?? body)
      : delivery.signature;
  if (signature !== null) headers["x-steward-signature"] = signature;
  if (delivery.delivery !== undefined) headers["x-steward-delivery"] = delivery.delivery;
  const response = await fetch(`${url}/webhooks/${name}`, { method: "POST", headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

export interface StandardDelivery {
  id: string;
  /** Unix seconds; now by default. */
  timestamp?: string;
  /** Overrides the computed `webhook-signature` header. */
  signature?: string;
}

/** POSTs a body signed by the Standard Webhooks scheme, as its libraries sign. */
export async function deliverStandard(
  url: string,
  name: string,
  body: string,
  delivery: StandardDelivery,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const timestamp = delivery.timestamp ?? nowSeconds();
  const key = Buffer.from(STANDARD_SECRET.slice("whsec_".length), "base64");
  const mac = createHmac("sha256", key).update(`${delivery.id}.${timestamp}.${body}`);
  const headers = {
    "content-type": "application/json",
    "webhook-id": delivery.id,
    "webhook-timestamp": timestamp,
    "webhook-signature": delivery.signature ?? `v1,${mac.digest("base64")}`,
  };
  const response = await fetch(`${url}/webhooks/${name}`, { method: "POST", headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}
