import type { Config } from "../config/schema.js";
import type { Logger } from "../core/log.js";
import { type AgentReading, askIntakeAgent, MAX_AGENT_EXAMPLES } from "../intake/agent.js";
import type { Intake, RawRequest } from "../intake/intake.js";
import type { Router } from "../routing/classify.js";
import { classifyWithLlm } from "../routing/llm-classifier.js";
import { jsonModel } from "../workers/kinds/llm.js";
import type { WorkerConfigOf } from "../workers/runner.js";
import type { RoutingLearning } from "./routing-learning.js";

export interface ModelDeps {
  config: Config;
  logger: Logger;
  router: Router;
  intake: Pick<Intake, "preview">;
  learning: Pick<RoutingLearning, "recent">;
  /** A replayed delivery returns the earlier task: no question to ask. */
  isReplay(request: RawRequest): Promise<boolean>;
}

/**
 * The questions to the configured models (the intake agent, the LLM classifier), and what is
 * still open of them: `stop` cuts them short and waits for them.
 */
export class ModelQuestions {
  /** Aborted by `stop`: cuts short the questions to models still open. */
  private readonly stopping = new AbortController();
  /** Questions to the models still open, and requests not yet handed to filing (stop waits). */
  private readonly asking = new Set<Promise<unknown>>();

  constructor(private readonly deps: ModelDeps) {}

  /** Cuts short what is open and waits for it to settle. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error("Steward is stopping"));
    await Promise.allSettled(this.asking);
  }

  /** Whether a configured model would be asked about `request` (`withModels` changes nothing else). */
  asks(request: RawRequest): boolean {
    return this.agentFor(request) !== undefined || this.classifierFor(request) !== undefined;
  }

  /** The request with what the configured models made of it (see `Engine.withModels`). */
  withModels(request: RawRequest): Promise<RawRequest> {
    return this.track(this.askModels(request));
  }

  /** Kept in `asking` until it settles, so `stop` can wait for it. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.asking.add(promise);
    const settled = () => this.asking.delete(promise);
    promise.then(settled, settled);
    return promise;
  }

  private async askModels(request: RawRequest): Promise<RawRequest> {
    if (await this.deps.isReplay(request)) return request;
    let asked = request;
    const reading = await this.askIntakeAgent(request);
    if (reading !== undefined) {
      asked = { ...asked, agent: reading };
      if (!reading.answered) {
        this.deps.logger.warn(`intake agent failed (${reading.failure}); used the rules`);
        // The same endpoint just failed: asking it again would only double the wait.
        const { classifier, agent } = this.deps.config.intake;
        if (classifier.kind === "llm" && classifier.worker === agent?.worker) return asked;
      } else if (reading.category !== undefined) {
        return asked;
      }
    }
    const classified = await this.askLlmClassifier(asked);
    if (classified === undefined) return asked;
    const { routing, usage } = classified;
    return { ...asked, routing, ...(usage && { classifierUsage: usage }) };
  }

  /**
   * The intake agent's reading of a free-text request, when one is configured. Not asked for a
   * request of fields alone (already a brief) nor a pipeline step (the output of the one before).
   */
  private async askIntakeAgent(request: RawRequest): Promise<AgentReading | undefined> {
    const worker = this.agentFor(request);
    if (worker === undefined) return undefined;
    const question = {
      text: request.text!,
      categories: this.deps.config.categories,
      examples: await this.deps.learning.recent(MAX_AGENT_EXAMPLES),
    };
    return askIntakeAgent(jsonModel(worker, "intake agent"), question, {
      timeoutMs: worker.timeout,
      stop: this.stopping.signal,
    });
  }

  /**
   * The LLM classifier's routing, when one is configured and the request needs routing;
   * undefined otherwise (the rules route it, with no wait).
   */
  private askLlmClassifier(request: RawRequest): ReturnType<typeof classifyWithLlm> | undefined {
    const worker = this.classifierFor(request);
    if (worker === undefined) return undefined;
    const { routeRequest } = this.deps.intake.preview(request);
    return classifyWithLlm(this.deps.router, jsonModel(worker, "llm classifier"), routeRequest, {
      timeoutMs: worker.timeout,
      stop: this.stopping.signal,
    });
  }

  /** The intake agent's model, when one is configured and `request` is free text to read. */
  private agentFor(request: RawRequest): WorkerConfigOf<"llm"> | undefined {
    const { agent } = this.deps.config.intake;
    if (agent === undefined || request.agent !== undefined || this.stopping.signal.aborted) {
      return undefined;
    }
    if ((request.text ?? "").trim() === "" || request.parentId !== undefined) return undefined;
    return llmWorker(this.deps.config, agent.worker);
  }

  /** The LLM classifier's model, when one is configured and `request` still needs routing. */
  private classifierFor(request: RawRequest): WorkerConfigOf<"llm"> | undefined {
    const { classifier } = this.deps.config.intake;
    if (classifier.kind !== "llm" || request.routing !== undefined) return undefined;
    if (this.stopping.signal.aborted) return undefined;
    return llmWorker(this.deps.config, classifier.worker);
  }
}

function llmWorker(config: Config, name: string): WorkerConfigOf<"llm"> | undefined {
  const worker = config.workers[name];
  return worker?.kind === "llm" ? worker : undefined;
}
