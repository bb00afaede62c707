import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { createCategoryRouter } from "../../../src/routing/classify.js";
import type { LearnedExample } from "../../../src/routing/learned.js";

const config = loadConfigFile("config/steward.yaml", {});
const routerWith = (learned: readonly LearnedExample[] = []) =>
  createCategoryRouter(config.categories, {
    minConfidence: config.intake.classifier.min_confidence,
    corpus: config.corpus,
    learned,
    // Confirmations retrain once ten wait, not ten minutes after the last retraining.
    confirmationPaceMs: 0,
  });

let ids = 0;
function decision(text: string, category: string, from: string): LearnedExample {
  ids += 1;
  return { id: ids, text, category, from, origin: "reroute", taskId: ids, actor: "alice", at: 0 };
}

const route = (router: ReturnType<typeof routerWith>, text: string) =>
  router.route({ text, source: "console" });

describe("people's routing decisions", () => {
  it("send a reworded request where the person put it, before the rules that sent it wrong", () => {
    const text = "a blog post about our Q3 numbers for the accountant";
    const before = route(routerWith(), text);
    expect(before).toMatchObject({ category: "content", rule: "content.keywords" });

    const router = routerWith([decision(text, "finance", "content")]);
    const reworded = route(router, "blog post about the Q3 numbers for our accountant");
    expect(reworded).toMatchObject({ category: "finance", rule: "learned" });
    expect(reworded.example?.similarity).toBeGreaterThanOrEqual(0.7);
    expect(reworded.explanation).toMatch(/closest to T-\d+, rerouted to finance by alice/);
    // A different request with a word in common is not a rewording: the rules still decide.
    expect(route(router, "write a blog post about our launch")).toMatchObject({
      category: "content",
      rule: "content.keywords",
    });
  });

  it("do not decide another request of the same business that only shares its names", () => {
    // A corpus business's pair, 0.54 alike: its market and its Saturdays, two different jobs.
    const claim = "mileage claim for driving to the farmers market every saturday, how do I log it";
    const other = "book the car for the farmers market saturday";
    const router = routerWith([decision(claim, "finance", "admin")]);
    expect(
      route(router, "mileage claim for driving to the farmers market on saturdays"),
    ).toMatchObject({
      category: "finance",
      rule: "learned",
    });
    expect(route(router, other).category).not.toBe("finance");
  });

  it("are followed at once, while the classifier retrains in the background", async () => {
    const router = routerWith();
    const text = "the Kiln Club Pipsqueak thing needs sorting";
    expect(route(router, text).category).toBe("unsorted");

    router.learn(decision(text, "admin", "unsorted"));
    expect(route(router, "the Kiln Club Pipsqueak thing, sort it again")).toMatchObject({
      category: "admin",
      rule: "learned",
    });
    await router.settled();
    expect(route(router, text)).toMatchObject({ category: "admin", rule: "learned" });
  });

  it("are unlearnt at once, even while a retraining that held them is under way", async () => {
    const text = "the Kiln Club Pipsqueak thing needs sorting";
    // Taught many times over, so that a classifier trained on it routes it by itself.
    const taught = Array.from({ length: 30 }, () => decision(text, "admin", "unsorted"));
    const router = routerWith(taught.slice(1));
    route(router, text);
    router.learn(taught[0]!);
    for (const example of taught) expect(router.forget(example.id)).toBe(true);

    expect(route(router, text).category).toBe("unsorted");
    await router.settled();
    expect(route(router, text).category).toBe("unsorted");
  });

  it("include confirmations: the classifier trains on them, but they decide nothing by likeness", async () => {
    const text = "the Tallow Lane Gribble thing needs sorting";
    // Done in admin many times over, so that a classifier trained on them routes it by itself.
    const confirmed = Array.from({ length: 20 }, () => ({
      ...decision(text, "admin", "unsorted"),
      from: null,
      origin: "confirmation" as const,
    }));
    const router = routerWith();
    expect(route(router, text).category).toBe("unsorted");

    // A few wait for more before the classifier retrains (five would route it: checked below).
    for (const example of confirmed.slice(0, 5)) router.learn(example);
    await router.settled();
    expect(route(router, text).category).toBe("unsorted");
    expect(route(routerWith(confirmed.slice(0, 5)), text).category).toBe("admin");
    for (const example of confirmed.slice(5)) router.learn(example);
    // No person's decision to follow at once: the router placed these itself.
    expect(route(router, text).category).toBe("unsorted");
    await router.settled();
    const trained = route(router, text);
    expect(trained).toMatchObject({ category: "admin", rule: "classifier" });
    expect(trained.example).toBeUndefined();
  });

  it("unlearn a confirmation by its task at once, and only a confirmation", () => {
    const text = "the Tallow Lane Gribble thing needs sorting";
    const confirmed = Array.from({ length: 5 }, (_, i) => ({
      ...decision(text, "admin", "unsorted"),
      id: 100 + i,
      taskId: 100 + i,
      from: null,
      origin: "confirmation" as const,
    }));
    const router = routerWith(confirmed);
    expect(route(router, text).category).toBe("admin");

    // A decision's id is not a confirmation's task.
    expect(router.forget(100)).toBe(false);
    for (const example of confirmed) expect(router.unconfirm(example.taskId)).toBe(true);
    expect(router.unconfirm(100)).toBe(false);
    expect(route(router, text).category).toBe("unsorted");
  });

  it("train on the latest 2,000 confirmations only: a deployment's oldest traffic drops out", () => {
    const text = "the Tallow Lane Gribble thing needs sorting";
    const confirmation = (id: number, said: string, category: string): LearnedExample => ({
      id,
      text: said,
      category,
      from: null,
      origin: "confirmation",
      taskId: id,
      actor: "steward",
      at: id,
    });
    const oldest = Array.from({ length: 20 }, (_, i) => confirmation(i + 1, text, "admin"));
    const later = Array.from({ length: 2_000 }, (_, i) =>
      confirmation(i + 21, `weekly note ${i}`, "support"),
    );
    // Twenty would route it to admin (five do, above); the 2,000 later ones push them out.
    expect(route(routerWith([...oldest, ...later.slice(20)]), text).category).toBe("admin");
    expect(route(routerWith([...oldest, ...later]), text).category).toBe("unsorted");
  });
});
