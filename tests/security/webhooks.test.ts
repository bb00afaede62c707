/**
 * Attacks on `POST /webhooks/<name>` from someone who can reach the port and may have captured
 * a real delivery: forged, stale, replayed, oversized, deeply nested, or aimed at a webhook
 * that has no secret. Real server on 127.0.0.1, real SQLite file.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  deliver,
  deliverStandard,
  nowSeconds,
  SECRET,
  STANDARD_SECRET,
  startTestServer,
} from "../integration/http/setup.js";

const REFUND = JSON.stringify({ text: "Answer the refund request for order 4411" });
const TICKET = JSON.stringify({
  ticket: {
    id: 981,
    subject: "Reply to the customer whose invoice shows the wrong VAT number",
    done_when: "The customer has a corrected invoice",
  },
});

describe("forged and stale deliveries", () => {
  it.each([
    ["signed with another secret", { secret: "guessed" }, "bad_signature"],
    ["a body other than the one signed", { signedBody: '{"text":"harmless"}' }, "bad_signature"],
    ["no signature", { signature: null }, "missing_signature"],
    [
      "a timestamp six minutes old",
      { timestamp: String(Number(nowSeconds()) - 360) },
      "stale_timestamp",
    ],
  ] as const)("%s is refused (401) and files nothing", async (_name, delivery, code) => {
    const { server, stored } = await startTestServer();
    const { status, json } = await deliver(server.url, "helpdesk", REFUND, delivery);
    expect(status).toBe(401);
    expect(json.error).toBe(code);
    expect(stored().tasks).toBe(0);
  });

  it("an oversized body is refused while it is read (413)", async () => {
    const { server, stored } = await startTestServer();
    const body = JSON.stringify({ text: `Refund ${"x".repeat(400)}` });
    expect((await deliver(server.url, "small", body)).status).toBe(413);
    expect(stored().tasks).toBe(0);
  });
});

describe("replays", () => {
  it("the same signed bytes sent again file nothing new", async () => {
    const { server, stored } = await startTestServer();
    const timestamp = nowSeconds();
    await deliver(server.url, "helpdesk", REFUND, { timestamp });
    const replay = await deliver(server.url, "helpdesk", REFUND, { timestamp });
    expect(replay).toMatchObject({ status: 200, json: { task: "T-1", duplicate: true } });
    expect(stored().tasks).toBe(1);
  });

  it("with idempotency_field, a captured delivery replayed with a fresh X-Steward-Delivery is a duplicate", async () => {
    const { server, stored } = await startTestServer();
    const timestamp = nowSeconds();
    const first = await deliver(server.url, "tickets", TICKET, { timestamp, delivery: "evt-1" });
    // The attacker cannot re-sign, but the delivery header is not signed: they change it.
    const replay = await deliver(server.url, "tickets", TICKET, { timestamp, delivery: "evt-2" });
    expect(first.status).toBe(202);
    expect(replay).toMatchObject({ status: 200, json: { task: "T-1", duplicate: true } });
    expect(stored().tasks).toBe(1);
  });
});

describe("the Standard Webhooks scheme", () => {
  it("a delivery signed with webhook-id, webhook-timestamp and webhook-signature is filed", async () => {
    const { server, engine } = await startTestServer();
    const { status, json } = await deliverStandard(server.url, "standard", REFUND, {
      id: "msg_2Lx",
    });
    expect(status).toBe(202);
    expect(json).toMatchObject({ task: "T-1", category: "support", duplicate: false });
    expect(await engine.task(1)).toMatchObject({ dedupeKey: "msg_2Lx" });
  });

  it("the signed webhook-id decides: a re-signed retry and a captured replay are duplicates", async () => {
    const { server, stored } = await startTestServer();
    const timestamp = nowSeconds();
    await deliverStandard(server.url, "standard", REFUND, { id: "msg_1", timestamp });
    const replay = await deliverStandard(server.url, "standard", REFUND, {
      id: "msg_1",
      timestamp,
    });
    const retry = await deliverStandard(server.url, "standard", REFUND, {
      id: "msg_1",
      timestamp: String(Number(timestamp) - 1),
    });
    expect(replay).toMatchObject({ status: 200, json: { duplicate: true } });
    expect(retry).toMatchObject({ status: 200, json: { duplicate: true } });
    expect(stored().tasks).toBe(1);
  });

  it("a captured signature sent with another webhook-id is refused (401)", async () => {
    const { server, stored } = await startTestServer();
    const timestamp = nowSeconds();
    const signature = standardSignature("msg_1", timestamp, REFUND);
    const forged = await deliverStandard(server.url, "standard", REFUND, {
      id: "msg_2",
      timestamp,
      signature,
    });
    expect(forged).toMatchObject({ status: 401, json: { error: "bad_signature" } });
    expect(stored().tasks).toBe(0);
  });

  it.each([
    ["a signature of another key", { signature: "v1,AAAA" }, "bad_signature"],
    ["no v1 signature", { signature: "v2,AAAA" }, "bad_signature"],
    ["a stale timestamp", { timestamp: String(Number(nowSeconds()) - 360) }, "stale_timestamp"],
  ] as const)("%s is refused (401)", async (_name, change, code) => {
    const { server, stored } = await startTestServer();
    const { status, json } = await deliverStandard(server.url, "standard", REFUND, {
      id: "msg_1",
      ...change,
    });
    expect(status).toBe(401);
    expect(json.error).toBe(code);
    expect(stored().tasks).toBe(0);
  });
});

/** The webhook-signature a sender computes with the standard secret. */
function standardSignature(id: string, timestamp: string, body: string): string {
  const key = Buffer.from(STANDARD_SECRET.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

describe("hostile bodies", () => {
  it("deeply nested JSON is refused with 400 too_deeply_nested, not a 500", async () => {
    const { server, stored, logger } = await startTestServer();
    const depth = 20_000;
    const body = `{"text":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    const { status, json } = await deliver(server.url, "helpdesk", body);
    expect(status).toBe(400);
    expect(json.error).toBe("too_deeply_nested");
    expect(stored().tasks).toBe(0);
    expect(logger.lines.filter((line) => line.level === "error")).toEqual([]);
  });

  it("a refusal's log line names the reason only: no fragment of the body, one line", async () => {
    const { server, logger } = await startTestServer();
    // V8 quotes the start of a body it cannot parse, raw newline included.
    const body = "PLAN\nB";
    const { status, json } = await deliver(server.url, "helpdesk", body);
    expect(status).toBe(400);
    expect(json.error).toBe("invalid_json");
    expect(JSON.stringify(json)).not.toContain("PLAN");
    for (const line of logger.lines) {
      expect(line.message).not.toContain("PLAN");
      expect(line.message).not.toMatch(/[\r\n]/);
      expect(line.message).not.toContain(SECRET);
    }
  });
});

describe("oversized texts from outside", () => {
  it("a 60,000-character requester is refused (422 field_too_long) and nothing is stored", async () => {
    const { server, stored } = await startTestServer();
    const body = JSON.stringify({
      ticket: {
        id: 7,
        subject: "Reply to the customer about the refund",
        done_when: "the customer has an answer",
        customer: { email: `${"a".repeat(60_000)}@example.test` },
      },
    });
    const { status, json } = await deliver(server.url, "tickets", body);
    expect(status).toBe(422);
    expect(json).toMatchObject({
      error: "field_too_long",
      message: expect.stringMatching(/Requester/),
    });
    expect(stored().tasks).toBe(0);
  });
});

describe("a webhook with no secret", () => {
  it("is logged once at start as disabled; its refusals are counted in /metrics, not logged", async () => {
    const { server, logger } = await startTestServer();
    const disabled = logger.lines.filter((line) => line.message.includes("unset"));
    expect(disabled).toEqual([
      expect.objectContaining({
        level: "warn",
        message: expect.stringMatching(/webhook unset is disabled/),
      }),
    ]);
    for (let i = 0; i < 3; i++) {
      expect((await deliver(server.url, "unset", REFUND, { signature: null })).status).toBe(503);
    }
    expect(logger.lines.filter((line) => line.message.includes("unset"))).toEqual(disabled);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(
      'steward_webhook_refusals_total{webhook="unset",code="webhook_disabled"} 3',
    );
  });
});
