import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ConfigError, loadConfigFile, parseConfig } from "../../../src/config/load.js";

const defaultText = readFileSync("config/steward.yaml", "utf8");

/** The default config with one change applied, as YAML text. */
// biome-ignore lint/suspicious/noExplicitAny: tests reach into the raw YAML tree freely
type RawConfig = Record<string, any>;

function variant(change: (config: RawConfig) => void): string {
  const config = parse(defaultText);
  change(config);
  return stringify(config);
}

function problemsOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, "config/steward.yaml", env);
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message));
    throw error;
  }
  return [];
}

describe("loading the configuration", () => {
  it("the default config loads with no environment at all", () => {
    const config = loadConfigFile("config/steward.yaml", {});
    expect(config.categories.map((c) => c.name)).toEqual([
      "support",
      "content",
      "engineering",
      "research",
      "finance",
      "admin",
      "unsorted",
    ]);
    expect(config.discord.channels.intake).toEqual([]);
    expect(config.categories.find((c) => c.name === "support")?.limits.stall.running).toBe(
      30 * 60_000,
    );
  });

  it("takes Discord ids from the DISCORD_* variables", () => {
    const config = parseConfig(defaultText, "config/steward.yaml", {
      DISCORD_GUILD_ID: "111",
      DISCORD_INTAKE_CHANNEL_ID: "222",
      DISCORD_ESCALATION_CHANNEL_ID: "333",
      DISCORD_REPORTS_CHANNEL_ID: "444",
      DISCORD_OPERATOR_ROLE_ID: "555",
    });
    expect(config.discord).toEqual({
      guild: "111",
      channels: { intake: ["222"], escalations: "333", reports: "444" },
      operators: { roles: ["555"], users: [] },
    });
  });

  it("parses durations written as 90s, 30m, 2h and 1d", () => {
    const config = parseConfig(
      variant((c) => {
        c.escalation = { batch_window: "90s", remind_after: "2h" };
        c.policies.systemic.probe_every = "1d";
      }),
      "config/steward.yaml",
      {},
    );
    expect(config.escalation.batch_window).toBe(90_000);
    expect(config.escalation.remind_after).toBe(7_200_000);
    expect(config.policies.systemic.probe_every).toBe(86_400_000);
  });

  const malformed: [string, string, string][] = [
    [
      "a duration that is not one",
      variant((c) => {
        c.categories[2].limits.stall.running = "soon";
      }),
      'categories[2].limits.stall.running: expected a duration like 30m, got "soon"',
    ],
    [
      "an unknown key",
      variant((c) => {
        c.categories[0].colour = "blue";
      }),
      'categories[0]: unknown key "colour"',
    ],
    [
      "a duplicate category name",
      variant((c) => {
        c.categories[1].name = "support";
      }),
      'categories[1].name: duplicate category name "support"',
    ],
    [
      "a category naming a missing worker",
      variant((c) => {
        c.categories[3].worker = "researcher";
      }),
      'categories[3].worker: no worker named "researcher" (known: demo-writer)',
    ],
    [
      "an intake agent naming a missing worker",
      variant((c) => {
        c.intake.agent = { worker: "reader" };
      }),
      'intake.agent.worker: no worker named "reader" (known: demo-writer)',
    ],
    [
      "an intake agent naming a worker that is not an llm",
      variant((c) => {
        c.intake.agent = { worker: "demo-writer" };
      }),
      'intake.agent.worker: worker "demo-writer" is kind demo; the intake agent needs an llm worker',
    ],
    [
      "a duplicate worker name",
      `${defaultText.replace("workers:\n", "workers:\n  demo-writer: { kind: demo }\n")}`,
      "duplicate name: Map keys must be unique",
    ],
    [
      "an unknown worker kind",
      variant((c) => {
        c.workers["demo-writer"].kind = "magic";
      }),
      "workers.demo-writer.kind:",
    ],
    [
      "a wrong type",
      variant((c) => {
        c.categories[0].limits.max_attempts = "three";
      }),
      'categories[0].limits.max_attempts: expected number, got "three"',
    ],
    [
      "a pipeline step naming a missing category",
      variant((c) => {
        // biome-ignore lint/suspicious/noThenProperty: the config key is called then
        c.categories[1].then = "qa";
      }),
      'categories[1].then: no category named "qa"',
    ],
    [
      "an invalid cron pattern",
      variant((c) => {
        c.monitor.every = "every quarter hour";
      }),
      "monitor.every: expected a cron pattern",
    ],
    [
      "an invalid regular expression",
      variant((c) => {
        c.categories[2].match.regexes = ["(unclosed"];
      }),
      "categories[2].match.regexes[0]: not a valid regular expression",
    ],
    [
      "no catch-all category",
      variant((c) => {
        c.categories.pop();
      }),
      "categories: expected exactly one category with catch_all: true, found 0",
    ],
    [
      "a required brief field that does not exist",
      variant((c) => {
        c.intake.required = ["objective", "deadline"];
      }),
      'intake.required[1]: expected one of "objective", "inputs"',
    ],
    [
      "an unset environment variable without default",
      variant((c) => {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an env reference, as a user writes it
        c.workers["demo-writer"] = { kind: "http", url: "${SUPPORT_URL}" };
      }),
      "workers.demo-writer.url: environment variable SUPPORT_URL is not set",
    ],
    ["YAML that does not parse", "categories: [\n  - name: x", "YAML syntax:"],
  ];

  it.each(malformed)("%s is refused with its path named", (_name, text, expected) => {
    const problems = problemsOf(text);
    expect(
      problems.some((problem) => problem.includes(expected)),
      problems.join("\n"),
    ).toBe(true);
  });

  it("lists every problem, not only the first", () => {
    const problems = problemsOf(
      variant((c) => {
        c.categories[0].limits.stall.queued = "later";
        c.categories[1].limits.concurrency = 0;
        c.escalation = { batch_window: "never" };
      }),
    );
    expect(problems).toHaveLength(3);
  });

  it("reports schema errors and reference errors in one run, as the README shows", () => {
    const problems = problemsOf(
      variant((c) => {
        c.categories[2].limits.stall.running = "soon";
        c.categories[3].worker = "researcher";
        c.categories[0].colour = "blue";
        // biome-ignore lint/suspicious/noThenProperty: the config key is called then
        c.categories[1].then = "nowhere";
        for (const category of c.categories) delete category.catch_all;
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'categories[2].limits.stall.running: expected a duration like 30m, got "soon"',
        expect.stringMatching(/^categories\[3\]\.worker: no worker named "researcher" \(known: /),
        'categories[0]: unknown key "colour"',
        expect.stringMatching(/^categories\[1\]\.then: no category named "nowhere"/),
        "categories: expected exactly one category with catch_all: true, found 0",
        // The former catch-all has no worker of its own.
        "categories[6].worker: expected the name of a worker",
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  it("a file that cannot be read is a ConfigError naming the file", () => {
    expect(() => loadConfigFile("config/does-not-exist.yaml", {})).toThrow(
      /config\/does-not-exist.yaml: invalid configuration\n {2}cannot read the file/,
    );
  });

  it("fingerprints the file as written: the same whatever the environment fills in or the keys' order, another for another file", () => {
    const fingerprint = (text: string, env: Record<string, string> = {}) =>
      parseConfig(text, "config/steward.yaml", env).fingerprint;
    const serveHost = fingerprint(defaultText, {
      DISCORD_GUILD_ID: "111",
      HELPDESK_WEBHOOK_SECRET: "s3cret",
    });
    expect(serveHost).toMatch(/^[0-9a-f]{12}$/);
    // A worker host has no Discord or webhook secrets: it still runs the same file.
    expect(fingerprint(defaultText)).toBe(serveHost);
    const reordered = parse(defaultText) as RawConfig;
    const [first, ...rest] = Object.keys(reordered);
    const moved: RawConfig = {};
    for (const key of [...rest, first!]) moved[key] = reordered[key];
    expect(fingerprint(stringify(moved))).toBe(serveHost);
    const edited = variant((c) => {
      c.categories[0].limits = { ...c.categories[0].limits, concurrency: 7 };
    });
    expect(fingerprint(edited)).not.toBe(serveHost);
  });

  it("a corpus edited changes the fingerprint: the router it trains is another", () => {
    const dir = mkdtempSync(join(tmpdir(), "steward-corpus-"));
    try {
      const text = variant((c) => {
        c.intake.classifier.corpus = "corpus.jsonl";
      });
      const file = join(dir, "steward.yaml");
      writeFileSync(file, text);
      const withCorpus = (line: string) => {
        writeFileSync(join(dir, "corpus.jsonl"), `${line}\n`);
        return loadConfigFile(file, {}).fingerprint;
      };
      const before = withCorpus('{"text": "refund my order", "category": "support"}');
      expect(withCorpus('{"text": "refund my order", "category": "support"}')).toBe(before);
      expect(withCorpus('{"text": "refund my order", "category": "finance"}')).not.toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads the classifier's corpus relative to the config file, naming each bad line", () => {
    const dir = mkdtempSync(join(tmpdir(), "steward-corpus-"));
    try {
      const lines = [
        JSON.stringify({ text: "reply to the customer about her refund", category: "support" }),
        JSON.stringify({ text: "who won the match", category: "unsorted", style: "chat" }),
      ];
      writeFileSync(join(dir, "corpus.jsonl"), `${lines.join("\n")}\n`);
      const text = variant((c) => {
        c.intake.classifier.corpus = "corpus.jsonl";
      });
      writeFileSync(join(dir, "steward.yaml"), text);
      const config = loadConfigFile(join(dir, "steward.yaml"), {});
      expect(config.corpus).toEqual([
        { text: "reply to the customer about her refund", category: "support" },
        { text: "who won the match", category: "unsorted" },
      ]);

      writeFileSync(
        join(dir, "corpus.jsonl"),
        `${lines[0]}\nnot json\n${JSON.stringify({ text: "x", category: "sales" })}\n{"text": 1}\n`,
      );
      expect(() => loadConfigFile(join(dir, "steward.yaml"), {})).toThrow(ConfigError);
      const problems = (() => {
        try {
          loadConfigFile(join(dir, "steward.yaml"), {});
        } catch (error) {
          return (error as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
        }
        return [];
      })();
      const file = join(dir, "corpus.jsonl");
      expect(problems).toEqual([
        `intake.classifier.corpus: ${file}:2: not valid JSON`,
        `intake.classifier.corpus: ${file}:3: category "sales" is not configured`,
        `intake.classifier.corpus: ${file}:4: expected {"text": "...", "category": "..."}`,
      ]);

      const missing = variant((c) => {
        c.intake.classifier.corpus = "nowhere.jsonl";
      });
      expect(problemsOf(missing)).toEqual([
        expect.stringMatching(/^intake\.classifier\.corpus: cannot read .*nowhere\.jsonl/),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
