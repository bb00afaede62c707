import { describe, expect, it } from "vitest";
import { signWebhook } from "../../../src/adapters/http/signature.js";
import { type Delivery, deliver, nowSeconds, SECRET, startTestServer } from "./setup.js";

const REFUND = JSON.stringify({
  text: "Answer the refund request for order 4411: the parcel arrived damaged.",
});

describe("POST /webhooks/:name", () => {
  it("logs the bound address once, in the contract's words", async () => {
    const { logger, server } = await startTestServer();
    const listening = logger.lines.filter((line) => line.message.startsWith("listening on"));
    expect(listening).toEqual([
      {
        level: "info",
        message: `listening on http://127.0.0.1:${server.port}`,
        context: undefined,
      },
    ]);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it("files a signed delivery: 202 and one task row", async () => {
    const { server, engine, stored, logger } = await startTestServer();
    const { status, json } = await deliver(server.url, "helpdesk", REFUND);
    expect(status).toBe(202);
    expect(json).toEqual({
      task: "T-1",
      state: "queued",
      category: "support",
      missing: [],
      duplicate: false,
    });
    expect(stored().tasks).toBe(1);
    const task = await engine.task(1);
    expect(task).toMatchObject({
      source: "webhook:helpdesk",
      requester: "webhook:helpdesk",
      category: "support",
      state: "queued",
    });
    expect(task.objective).toContain("refund request for order 4411");
    expect(task.routing.rule).toBe("explicit");
    expect(logger.lines.at(-1)).toMatchObject({
      level: "info",
      message: "webhook helpdesk: filed T-1 as support (queued)",
    });
  });

  it("a webhook whose secret is not set refuses every delivery, even one signed with an empty key", async () => {
    const { server, stored } = await startTestServer();
    const { status, json } = await deliver(server.url, "unset", REFUND, { secret: "" });
    expect(status).toBe(503);
    expect(json).toMatchObject({ error: "webhook_disabled" });
    expect(stored().tasks).toBe(0);
  });

  it("accepts a timestamp four minutes old", async () => {
    const { server } = await startTestServer();
    const timestamp = String(Math.floor(Date.now() / 1000) - 4 * 60);
    expect((await deliver(server.url, "helpdesk", REFUND, { timestamp })).status).toBe(202);
  });

  const sixMinutesAgo = () => String(Math.floor(Date.now() / 1000) - 6 * 60);
  const refused: {
    name: string;
    webhook?: string;
    body?: string;
    delivery?: () => Delivery;
    status: number;
    error: string;
  }[] = [
    {
      name: "a signature made with another secret",
      delivery: () => ({ secret: "not-the-secret" }),
      status: 401,
      error: "bad_signature",
    },
    {
      name: "a signature over a different body",
      delivery: () => ({ signedBody: JSON.stringify({ text: "Something harmless" }) }),
      status: 401,
      error: "bad_signature",
    },
    {
      name: "a signature without the timestamp in what was signed",
      delivery: () => ({
        signature: `sha256=${signWebhook(SECRET, "", REFUND).slice(8)}`,
      }),
      status: 401,
      error: "bad_signature",
    },
    {
      name: "a signature that is not sha256=<hex>",
      delivery: () => ({ signature: "md5=abc" }),
      status: 401,
      error: "bad_signature",
    },
    {
      name: "no signature",
      delivery: () => ({ signature: null }),
      status: 401,
      error: "missing_signature",
    },
    {
      name: "no timestamp",
      delivery: () => ({ headers: { "x-steward-timestamp": "" } }),
      status: 401,
      error: "missing_timestamp",
    },
    {
      name: "a timestamp six minutes old (correctly signed)",
      delivery: () => ({ timestamp: sixMinutesAgo() }),
      status: 401,
      error: "stale_timestamp",
    },
    {
      name: "a timestamp six minutes ahead",
      delivery: () => ({ timestamp: String(Number(nowSeconds()) + 6 * 60) }),
      status: 401,
      error: "stale_timestamp",
    },
    { name: "an unknown webhook", webhook: "nosuch", status: 404, error: "unknown_webhook" },
    {
      name: "a body over the webhook's max_body_bytes",
      webhook: "small",
      body: JSON.stringify({ text: `Refund ${"x".repeat(400)}` }),
      status: 413,
      error: "body_too_large",
    },
    { name: "malformed JSON", body: '{"text": "refund', status: 400, error: "invalid_json" },
    { name: "a JSON array", body: '["refund"]', status: 400, error: "invalid_json" },
    { name: "an empty text", body: '{"text": "   "}', status: 422, error: "empty_request" },
    { name: "no text at all", body: '{"subject": "hi"}', status: 422, error: "empty_request" },
    {
      name: "a field over the brief's limit",
      body: JSON.stringify({ text: "y".repeat(9000) }),
      status: 422,
      error: "field_too_long",
    },
  ];

  for (const refusal of refused) {
    it(`refuses ${refusal.name}: ${refusal.status}, a JSON error, a log line, nothing stored`, async () => {
      const { server, stored, logger } = await startTestServer();
      const before = stored();
      const webhook = refusal.webhook ?? "helpdesk";
      const body = refusal.body ?? REFUND;
      const { status, json } = await deliver(server.url, webhook, body, refusal.delivery?.());
      expect(status).toBe(refusal.status);
      expect(json).toEqual({ error: refusal.error, message: expect.any(String) });
      expect((json.message as string).length).toBeGreaterThan(10);
      expect(stored()).toEqual(before);
      // Past the one line at start that says the secretless webhook is disabled.
      const warnings = logger.lines.filter(
        (line) => line.level === "warn" && !line.message.includes("is disabled"),
      );
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toMatch(
        new RegExp(`^webhook ${webhook}: ${refusal.status} ${refusal.error} \\(`),
      );
      expect(warnings[0]!.context).toEqual({ status: refusal.status, error: refusal.error });
      for (const line of logger.lines) {
        expect(line.message).not.toContain(SECRET);
        expect(line.message).not.toContain("refund request for order");
        expect(line.message).not.toContain("xxxxxxxx");
      }
    });
  }

  it("refuses an oversized body sent in chunks, without a content length", async () => {
    const { server, stored, logger } = await startTestServer();
    const body = JSON.stringify({ text: `Refund ${"x".repeat(400)}` });
    const timestamp = nowSeconds();
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(body.slice(0, 200)));
        controller.enqueue(encoder.encode(body.slice(200)));
        controller.close();
      },
    });
    const response = await fetch(`${server.url}/webhooks/small`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-steward-timestamp": timestamp,
        "x-steward-signature": signWebhook(SECRET, timestamp, body),
      },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: "body_too_large", message: expect.any(String) });
    expect(stored().tasks).toBe(0);
    expect(logger.lines.at(-1)?.message).toMatch(/^webhook small: 413 body_too_large/);
  });

  it("answers a replayed X-Steward-Delivery with the original task: 200, one row", async () => {
    const { server, stored, logger } = await startTestServer();
    const first = await deliver(server.url, "helpdesk", REFUND, { delivery: "evt-1" });
    const before = stored();
    // A retry by the sender: re-signed with a new timestamp, same delivery id.
    const again = await deliver(server.url, "helpdesk", REFUND, { delivery: "evt-1" });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ task: first.json.task, duplicate: true, state: "queued" });
    expect(stored()).toEqual(before);
    expect(stored().tasks).toBe(1);
    expect(logger.lines.at(-1)?.message).toBe(
      "webhook helpdesk: replayed delivery, already T-1 (queued)",
    );
    // A different delivery id is a different request.
    const other = await deliver(server.url, "helpdesk", REFUND, { delivery: "evt-2" });
    expect(other.status).toBe(202);
    expect(other.json.task).toBe("T-2");
  });

  it("treats the exact same signed request, replayed without a delivery id, as a duplicate", async () => {
    const { server, stored } = await startTestServer();
    const timestamp = nowSeconds();
    const first = await deliver(server.url, "helpdesk", REFUND, { timestamp });
    const replay = await deliver(server.url, "helpdesk", REFUND, { timestamp });
    expect(first.status).toBe(202);
    expect(replay.status).toBe(200);
    expect(replay.json).toMatchObject({ task: "T-1", duplicate: true });
    expect(stored().tasks).toBe(1);
  });

  it("maps structured fields by dot path, with requester and idempotency from the body", async () => {
    const { server, engine, stored } = await startTestServer();
    const body = JSON.stringify({
      ticket: {
        id: 981,
        subject: "Reply to the customer whose invoice shows the wrong VAT number",
        links: ["https://example.test/ticket/981", "https://example.test/invoice/77"],
        done_when: "The customer has a corrected invoice",
        customer: { email: "ana@example.test" },
      },
      text: "ignored: the fields mapping wins",
    });
    const { status, json } = await deliver(server.url, "tickets", body);
    expect(status).toBe(202);
    expect(json).toMatchObject({ task: "T-1", state: "queued", missing: [] });
    const task = await engine.task(1);
    expect(task).toMatchObject({
      objective: "Reply to the customer whose invoice shows the wrong VAT number",
      inputs: ["https://example.test/ticket/981", "https://example.test/invoice/77"],
      acceptanceCriteria: ["The customer has a corrected invoice"],
      requester: "ana@example.test",
      source: "webhook:tickets",
      dedupeKey: "981",
      sourceRef: { webhook: "tickets", delivery: "981" },
    });
    // The same ticket id in a later delivery (new timestamp) is the same request.
    const again = await deliver(server.url, "tickets", body, {
      timestamp: String(Number(nowSeconds()) - 1),
    });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ task: "T-1", duplicate: true });
    expect(stored().tasks).toBe(1);
  });

  it("files a brief with missing fields as needs_clarification and names them", async () => {
    // Constraints: a field no category's defaults fill in.
    const { server } = await startTestServer({ required: ["objective", "constraints"] });
    const body = JSON.stringify({ ticket: { subject: "Reconcile the Stripe payouts", id: "t-1" } });
    const { status, json } = await deliver(server.url, "tickets", body);
    expect(status).toBe(202);
    expect(json).toMatchObject({ state: "needs_clarification", missing: ["constraints"] });
  });

  it("answers other routes with a JSON 404", async () => {
    const { server, logger } = await startTestServer();
    const response = await fetch(`${server.url}/nowhere`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "not_found", message: expect.any(String) });
    expect(logger.lines.at(-1)?.level).toBe("warn");
  });
});
