#!/usr/bin/env node
// Steward ships as TypeScript; tsx compiles it on the fly so there is no build step to forget.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
