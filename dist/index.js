#!/usr/bin/env node
import { createRequire as __bgCreateRequire } from 'node:module'; const require = __bgCreateRequire(import.meta.url);
import{g as r}from"./chunks/chunk-JMACA6CN.js";r();process.setSourceMapsEnabled(!0);Error.stackTraceLimit=Math.max(Error.stackTraceLimit,50);var{run:a}=await import("./chunks/main-AOW2XFYB.js");await a();
//# sourceMappingURL=index.js.map
