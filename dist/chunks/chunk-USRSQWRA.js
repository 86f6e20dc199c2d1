#!/usr/bin/env node
import { createRequire as __bgCreateRequire } from 'node:module'; const require = __bgCreateRequire(import.meta.url);
import{e as i,f as r}from"./chunk-OG2GJT2C.js";function l(n,t){return{command:n,dryRun:t,changed:!1,plan:[],dns:[],links:[],tables:[],outputs:{},warnings:[],notes:[]}}function u(n){return n.replace(/\|/g,"\\|").replace(/\r?\n/g," ")}function a(n,t){let s=e=>`| ${e.map(u).join(" | ")} |`;return[s(n),s(n.map(()=>"---")),...t.map(s)].join(`
`)}function d(n){let t=[],s=n.dryRun?`bluegreen ${n.command} (dry run)`:`bluegreen ${n.command}`;if(t.push(`## ${s}`),n.error!==void 0&&t.push(`> [!CAUTION]
> The run failed: ${n.error.split(`
`).join(`
> `)}`),n.weights!==void 0){let e=i(n.weights);t.push(["```mermaid",`pie showData title Traffic ${r(n.weights)} (blue:green)`,`    "blue" : ${e.blue}`,`    "green" : ${e.green}`,"```"].join(`
`))}n.state!==void 0&&t.push(`**State:** \`${n.state}\` · **Changed:** ${n.changed?"yes":"no"}`);for(let e of n.warnings)t.push(`> [!WARNING]
> ${e}`);n.plan.length>0?t.push("### Plan",a(["#","step","resource","status"],n.plan.map((e,o)=>[String(o+1),e.description,e.resource,e.status]))):n.command==="publish"&&n.error===void 0&&t.push("Nothing to change: AWS already matches the request."),n.dns.length>0&&(t.push("### DNS records",a(["name","type","target","status"],n.dns.map(e=>[e.name,e.type,e.target,e.status]))),n.dns.some(e=>e.status==="manual")&&t.push("Records marked **manual** are not in a Route53 zone this run can change: create them at your DNS provider (an ALIAS/ANAME, or a CNAME for non-apex names, to the target shown).")),n.tables.length>0&&t.push("### Replication",a(["blue table","green table","phase","progress","note"],n.tables.map(e=>[e.blue,e.green,e.phase,e.progress===void 0?"–":`${e.progress}%`,e.note]))),n.links.length>0&&t.push(n.links.map(e=>`- [${e.label}](${e.url})`).join(`
`));for(let e of n.notes)t.push(e);return`${t.join(`

`)}
`}export{l as a,d as b};
