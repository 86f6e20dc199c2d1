#!/usr/bin/env node
import { createRequire as __bgCreateRequire } from 'node:module'; const require = __bgCreateRequire(import.meta.url);
import{g as r}from"./chunks/chunk-LFGE3NSF.js";r();process.setSourceMapsEnabled(!0);Error.stackTraceLimit=Math.max(Error.stackTraceLimit,50);var{run:a}=await import("./chunks/main-5STYVDR7.js");await a();
//# sourceMappingURL=index.js.map
