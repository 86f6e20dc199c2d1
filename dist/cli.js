#!/usr/bin/env -S node --enable-source-maps
import { createRequire as __bgCreateRequire } from 'node:module'; const require = __bgCreateRequire(import.meta.url);
import{g as r}from"./chunks/chunk-JMACA6CN.js";r();process.setSourceMapsEnabled(!0);Error.stackTraceLimit=Math.max(Error.stackTraceLimit,50);var{main:a}=await import("./chunks/cli-Z7KUII5K.js");process.exitCode=await a(process.argv.slice(2));
//# sourceMappingURL=cli.js.map
