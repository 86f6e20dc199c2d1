#!/usr/bin/env node
import { createRequire as __bgCreateRequire } from 'node:module'; const require = __bgCreateRequire(import.meta.url);
import{g as _}from"./chunk-JMACA6CN.js";_();var e="1.0.0";export{e as a};
//# sourceMappingURL=chunk-VDBGLGDH.js.map
