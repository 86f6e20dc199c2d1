#!/usr/bin/env node
import { createRequire as __bgCreateRequire } from 'node:module'; const require = __bgCreateRequire(import.meta.url);
import{g as _}from"./chunk-7CI5FDWD.js";_();var e="1.0.0";export{e as a};
//# sourceMappingURL=chunk-5QVP3MCV.js.map
