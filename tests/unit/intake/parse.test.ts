// One file over 400 lines on purpose: every way a request's text is read into a brief, beside
// each other.
import { describe, expect, it } from "vitest";
import { type Brief, emptyBrief } from "../../../src/core/brief.js";
import { normaliseFields, parseFreeText } from "../../../src/intake/parse.js";

/** Lines of a multi-line message. */
function lines(...parts: string[]): string {
  return parts.join("\n");
}

/** An empty brief with the given fields filled in. */
function brief(fields: Partial<Brief>): Brief {
  return { ...emptyBrief(), ...fields };
}

interface Row {
  name: string;
  text: string;
  attachments?: string[];
  expected: Brief;
  category?: string;
}

const rows: Row[] = [
  {
    name: "a fully labelled request fills every field, and `Output format:` beats `Output:`",
    text: [
      "Objective: Write a blog post about the v2 launch",
      "Inputs: the changelog; the press kit",
      "Constraints: under 800 words; no emoji",
      "Output format: Markdown",
      "Acceptance criteria: mentions the three headline features; links to the docs",
    ].join("\n"),
    expected: {
      objective: "Write a blog post about the v2 launch",
      inputs: ["the changelog", "the press kit"],
      constraints: ["under 800 words", "no emoji"],
      output_format: "Markdown",
      acceptance_criteria: ["mentions the three headline features", "links to the docs"],
    },
  },
  {
    name: "text without any label is the objective, whitespace normalised",
    text: "  Write   a haiku\n   about\tautumn leaves  \n\n",
    expected: brief({ objective: "Write a haiku about autumn leaves" }),
  },
  {
    name: "labels are recognised in any case",
    text: "OBJECTIVE: translate the FAQ\ninputs: faq.md\nCoNsTrAiNtS: keep the tone",
    expected: brief({
      objective: "translate the FAQ",
      inputs: ["faq.md"],
      constraints: ["keep the tone"],
    }),
  },
  {
    name: "markdown bold labels (`**Objective:**`, `**Format**:`) are recognised",
    text: "**Objective:** Draft the invoice email\n**Format**: plain text\n__Rules:__ be polite",
    expected: brief({
      objective: "Draft the invoice email",
      output_format: "plain text",
      constraints: ["be polite"],
    }),
  },
  {
    name: "a markdown heading that is just a label (`## Objective`) starts a section",
    text: lines(
      "## Objective",
      "Summarise the call",
      "### Done when:",
      "- three bullet points",
      "**Inputs**",
      "call.txt",
    ),
    expected: brief({
      objective: "Summarise the call",
      acceptance_criteria: ["three bullet points"],
      inputs: ["call.txt"],
    }),
  },
  {
    name: "a label written as a list item (`- Objective:`) is recognised",
    text: "- Objective: tidy the backlog\n- Constraints: don't close anything older than a week",
    expected: brief({
      objective: "tidy the backlog",
      constraints: ["don't close anything older than a week"],
    }),
  },
  {
    name: "a bullet list under Done when: becomes one criterion per bullet, for every bullet kind",
    text: lines(
      "Done when:",
      "- tests pass",
      "* lint is clean",
      "• docs updated",
      "+ changelog entry",
      "- [x] reviewed",
    ),
    expected: brief({
      acceptance_criteria: [
        "tests pass",
        "lint is clean",
        "docs updated",
        "changelog entry",
        "reviewed",
      ],
    }),
  },
  {
    name: "numbered lists (`1.` and `1)`) become one item per number, without the numbers",
    text: "Constraints:\n1. no paid tools\n2. finish by Friday\n3) ask before emailing anyone",
    expected: brief({
      constraints: ["no paid tools", "finish by Friday", "ask before emailing anyone"],
    }),
  },
  {
    name: "an indented line continues the bullet above it",
    text: "Inputs:\n- the pricing page,\n  especially the FAQ\n- the support inbox",
    expected: brief({ inputs: ["the pricing page, especially the FAQ", "the support inbox"] }),
  },
  {
    name: "a list body without bullets splits on newlines",
    text: "Acceptance:\nunder 300 words\nreads well aloud\n\nhas a call to action",
    expected: brief({
      acceptance_criteria: ["under 300 words", "reads well aloud", "has a call to action"],
    }),
  },
  {
    name: "a one-line list body splits on `;` but keeps commas",
    text: "Constraints: friendly, concise and clear; no jargon;",
    expected: brief({ constraints: ["friendly, concise and clear", "no jargon"] }),
  },
  {
    name: "console one-liner: known labels split a single line",
    text:
      "objective: write a post about our launch " +
      "acceptance: under 500 words, links to the changelog",
    expected: brief({
      objective: "write a post about our launch",
      acceptance_criteria: ["under 500 words, links to the changelog"],
    }),
  },
  {
    name: "inline labels after sentence punctuation split; the separator before them is dropped",
    text: "Write the release notes. Format: markdown; Done when: Sam has reviewed them",
    expected: brief({
      objective: "Write the release notes.",
      output_format: "markdown",
      acceptance_criteria: ["Sam has reviewed them"],
    }),
  },
  {
    name: "labels in an unusual order land in the right fields",
    text: "Done when: it compiles\nFormat: a diff\nGoal: fix the flaky test\nContext: ci.log",
    expected: {
      objective: "fix the flaky test",
      inputs: ["ci.log"],
      constraints: [],
      output_format: "a diff",
      acceptance_criteria: ["it compiles"],
    },
  },
  {
    name: "fields that are not mentioned stay empty (no acceptance criteria → empty list)",
    text: "Task: rename the repo\nRules: keep the old URL redirecting",
    expected: brief({
      objective: "rename the repo",
      constraints: ["keep the old URL redirecting"],
      acceptance_criteria: [],
    }),
  },
  {
    name: "URLs anywhere are harvested into inputs, without trailing punctuation, once each",
    text: "Compare https://a.io/pricing, (see https://b.io/plans) and https://a.io/pricing.",
    expected: brief({
      objective: "Compare https://a.io/pricing, (see https://b.io/plans) and https://a.io/pricing.",
      inputs: ["https://a.io/pricing", "https://b.io/plans"],
    }),
  },
  {
    name: "a URL's own balanced parentheses are kept",
    text: "Read https://en.wikipedia.org/wiki/Steward_(office).",
    expected: brief({
      objective: "Read https://en.wikipedia.org/wiki/Steward_(office).",
      inputs: ["https://en.wikipedia.org/wiki/Steward_(office)"],
    }),
  },
  {
    name: "a URL already quoted inside an input is not added again",
    text: lines(
      "Objective: proofread",
      "Inputs: the draft at https://docs.example/d/1",
      "Limit: see https://x.example/",
    ),
    expected: brief({
      objective: "proofread",
      inputs: ["the draft at https://docs.example/d/1", "https://x.example/"],
      constraints: ["see https://x.example/"],
    }),
  },
  {
    name: "attachments are appended to inputs after the text's own inputs",
    text: "Objective: describe this screenshot\nInputs: the bug report",
    attachments: ["screenshot.png", " https://cdn.example/a.pdf ", "", "the bug report"],
    expected: brief({
      objective: "describe this screenshot",
      inputs: ["the bug report", "screenshot.png", "https://cdn.example/a.pdf"],
    }),
  },
  {
    name: "repeated list labels append and repeated string labels join with a space",
    text: "Goal: plan the offsite\nInput: budget.xlsx\nGoal: for twelve people\nInput: dates.txt",
    expected: brief({
      objective: "plan the offsite for twelve people",
      inputs: ["budget.xlsx", "dates.txt"],
    }),
  },
  {
    name: "a `Category:` label sets the category, lower-cased, and stays out of the brief",
    text: "Category:  Content Writing \nObjective: a tweet about the sale",
    expected: brief({ objective: "a tweet about the sale" }),
    category: "content writing",
  },
  {
    name: "`Definition of done:` and `Success criteria:` are acceptance criteria too",
    text: lines(
      "Ask: ship the landing page",
      "Definition of done: live on prod",
      "Success criteria: 2% signup",
    ),
    expected: brief({
      objective: "ship the landing page",
      acceptance_criteria: ["live on prod", "2% signup"],
    }),
  },
  {
    name: "prose using the words format and output without a colon stays in the objective",
    text: "Turn the output of last week's survey into a readable format for the team",
    expected: brief({
      objective: "Turn the output of last week's survey into a readable format for the team",
    }),
  },
  {
    name: "a label word after an article or preposition is prose, even with a colon",
    text: "Please fix the data: rows vanish after import. Use this format: one row per order",
    expected: brief({
      objective:
        "Please fix the data: rows vanish after import. Use this format: one row per order",
    }),
  },
  {
    name: "a refused `the output format:` does not split on its last word either",
    text: "Describe the output format: it should be a table",
    expected: brief({ objective: "Describe the output format: it should be a table" }),
  },
  {
    name: "labels inside a code fence or inline code are quoted material, not labels",
    text: "Fix the type error in `format: string`\n```ts\nconst output: Output = {};\n```",
    expected: brief({
      objective: "Fix the type error in `format: string` ```ts const output: Output = {}; ```",
    }),
  },
  {
    name: "unlabelled text before the first label is the objective when none is labelled",
    text: "Can you write the onboarding email?\nConstraints: under 150 words",
    expected: brief({
      objective: "Can you write the onboarding email?",
      constraints: ["under 150 words"],
    }),
  },
  {
    name: "unlabelled text before an objective label is kept as context, first in inputs",
    text: "Following up on yesterday's call.\nObjective: send the recap\nInputs: notes.md",
    expected: brief({
      objective: "send the recap",
      inputs: ["Following up on yesterday's call.", "notes.md"],
    }),
  },
  {
    name: "unlabelled bullets in the objective read as one sentence separated by `;`",
    text: "Please:\n- update the README\n- bump the version",
    expected: brief({ objective: "Please: update the README; bump the version" }),
  },
  {
    name: "a `Don't:` label keeps its negation in each constraint",
    text: lines(
      "Objective: redesign the logo",
      "Don't: Use gradients; change the colours",
      "Do not: API calls",
    ),
    expected: brief({
      objective: "redesign the logo",
      constraints: ["Don't use gradients", "Don't change the colours", "Do not API calls"],
    }),
  },
  {
    name: "synonyms: Request, Materials, Requirements, Deliverable, Criteria",
    text: lines(
      "Request: a pitch deck",
      "Materials: deck-v1.key",
      "Requirements: 10 slides max",
      "Deliverable: PDF",
      "Criteria: approved by Ana",
    ),
    expected: {
      objective: "a pitch deck",
      inputs: ["deck-v1.key"],
      constraints: ["10 slides max"],
      output_format: "PDF",
      acceptance_criteria: ["approved by Ana"],
    },
  },
  {
    name: "whitespace-only text gives an empty brief",
    text: " \n\t \r\n ",
    expected: emptyBrief(),
  },
  {
    name: "whitespace-only text with attachments gives a brief of just those inputs",
    text: "   ",
    attachments: ["invoice.pdf"],
    expected: brief({ inputs: ["invoice.pdf"] }),
  },
  {
    name: "a realistic five-line Discord message",
    text: [
      "hey, can you put together this week's newsletter?",
      "Inputs: last week's changelog https://example.com/changelog and the metrics sheet",
      "Constraints: keep it under 400 words, friendly tone",
      "Format: markdown, ready to paste into Buttondown",
      "Done when: it has a subject line and three sections",
    ].join("\n"),
    expected: {
      objective: "hey, can you put together this week's newsletter?",
      inputs: ["last week's changelog https://example.com/changelog and the metrics sheet"],
      constraints: ["keep it under 400 words, friendly tone"],
      output_format: "markdown, ready to paste into Buttondown",
      acceptance_criteria: ["it has a subject line and three sections"],
    },
  },
];

describe("parseFreeText", () => {
  it("has a table of at least 25 requests", () => {
    expect(rows.length).toBeGreaterThanOrEqual(25);
  });

  it.each(rows)("$name", ({ text, attachments, expected, category }) => {
    const parsed = parseFreeText(text, attachments);
    expect(parsed.brief).toEqual(expected);
    expect(parsed.category).toBe(category);
  });

  it("never throws, whatever the string", () => {
    const pieces = ["Objective:", "data:", "- ", "1) ", "**", "```", "`", "https://", ")", "\n"];
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let run = 0; run < 500; run++) {
      const text = Array.from({ length: next() % 30 }, () => pieces[next() % pieces.length]).join(
        next() % 2 === 0 ? " " : "",
      );
      expect(() => parseFreeText(text)).not.toThrow();
    }
  });

  it("stays fast on long pathological input", () => {
    const started = Date.now();
    parseFreeText(`${" ".repeat(100_000)}x, objective: ${"- item\n".repeat(20_000)}`);
    parseFreeText("https://a.example/ data: ".repeat(5_000));
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("normaliseFields", () => {
  it("splits a list field given as one string like a section body", () => {
    const result = normaliseFields({
      inputs: "- spec.md\n- mockups.fig",
      constraints: "no ads\nno tracking",
      acceptance_criteria: "loads in 1s; works offline",
    });
    expect(result.inputs).toEqual(["spec.md", "mockups.fig"]);
    expect(result.constraints).toEqual(["no ads", "no tracking"]);
    expect(result.acceptance_criteria).toEqual(["loads in 1s", "works offline"]);
  });

  it("trims list items given as an array and drops the empty ones", () => {
    expect(normaliseFields({ inputs: ["  a.txt ", "", "   ", "b.txt"] }).inputs).toEqual([
      "a.txt",
      "b.txt",
    ]);
  });

  it("trims strings and leaves URLs in the objective where they are", () => {
    const result = normaliseFields({
      objective: "  review https://example.com/pr/1  ",
      output_format: " a short comment ",
    });
    expect(result).toEqual(
      brief({ objective: "review https://example.com/pr/1", output_format: "a short comment" }),
    );
  });

  it("gives empty values for fields it was not given", () => {
    expect(normaliseFields({})).toEqual(emptyBrief());
  });
});
