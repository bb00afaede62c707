import { describe, expect, it } from "vitest";
import { TextClassifier, type TrainingDoc } from "../../../src/routing/text-classifier.js";

/** Two classes told apart by ordinary words, and a name one request of the first used once. */
function docs(nameLearned: boolean): TrainingDoc[] {
  const training: TrainingDoc[] = [];
  for (let copy = 0; copy < 30; copy++) {
    training.push({ text: `reply to the customer about order ${copy}`, label: 0, weight: 1 });
    training.push({ text: `fix the failing build on branch ${copy}`, label: 1, weight: 1 });
  }
  training.push({
    text: "reply to the customer about the quokka order",
    label: 0,
    weight: 1,
    learned: nameLearned,
  });
  return training;
}

describe("the text classifier's naive Bayes evidence", () => {
  it("counts the config's and corpus's words, and not a learned example's", () => {
    const counted = TextClassifier.train(docs(false), 2).predict("quokka").probabilities[0]!;
    const learned = TextClassifier.train(docs(true), 2).predict("quokka").probabilities[0]!;
    // The regression learns the name either way; naive Bayes adds to it only when it counted it.
    expect(learned).toBeGreaterThan(0.5);
    expect(counted).toBeGreaterThan(learned + 0.01);
  });
});
