#!/usr/bin/env node
import { createRequire as __bgCreateRequire } from 'node:module'; const require = __bgCreateRequire(import.meta.url);
import{a as h,b}from"./chunks/chunk-USRSQWRA.js";import{a as y}from"./chunks/chunk-EIUEIFNF.js";import{a as l,b as p,c as g,d as w,h as d}from"./chunks/chunk-OG2GJT2C.js";import"./chunks/chunk-CBIW3E5W.js";import{createInterface as $}from"node:readline/promises";import{parseArgs as R}from"node:util";var I=["update-green-alias","data-replicate","cleanup","dry-run","wait","overwrite-green","replay-over-green-writes"],v=`bluegreen ${y}: shift CloudFront traffic between blue and green, replicate their data

Usage:
  bluegreen publish --blue <ref> --green <ref> --domain-name <host> [--ratio B:G] [options]
  bluegreen replicate <prepare|status|start|stop|terminate|verify|repair> --blue <ref> --green <ref> [options]

<ref> is a CloudFront distribution id, an alias it holds (www1.deep.mg) or env:hash (prod:wxyz0987).
Every action input is a flag of the same name (see README): ${p.filter(e=>e!=="command").map(e=>`--${e}`).join(" ")}
Boolean flags may stand alone (--dry-run) or take true/false (--wait false).

Examples:
  bluegreen publish --blue stage:abcd1234 --green prod:wxyz0987 --ratio 9:1 --domain-name www.deep.mg
  bluegreen publish --blue E2QWRUHAPOMQZL --green E1ABCDEF123456 --ratio 0:1 --domain-name www.deep.mg --dry-run

AWS credentials and region come from the usual AWS_* variables and profiles.
Exit codes: 0 success, 1 failure, 2 usage error.`,c=class extends Error{};function A(e){let n=[];for(let r=0;r<e.length;r++){let a=e[r];n.push(a);let m=a.startsWith("--")?a.slice(2):void 0,f=e[r+1];m!==void 0&&I.includes(m)&&f!=="true"&&f!=="false"&&n.push("true")}let t;try{t=R({args:n,allowPositionals:!0,strict:!0,options:{help:{type:"boolean",short:"h"},version:{type:"boolean"},...Object.fromEntries(p.filter(r=>r!=="command").map(r=>[r,{type:"string"}]))}})}catch(r){throw new c(r instanceof Error?r.message:String(r))}let{values:s,positionals:o}=t;if(s.help===!0||o.length===0)return"help";let i=o.join(" ");if(!l.includes(i))throw new c(`unknown command '${i}'; use one of: ${l.join(", ")}`);let u={command:i};for(let r of p){let a=s[r];typeof a=="string"&&(u[r]=a)}return u}var N={info:e=>process.stderr.write(`${e}
`),warn:e=>process.stderr.write(`warning: ${e}
`),debug:e=>{process.env.BLUEGREEN_DEBUG==="1"&&process.stderr.write(`debug: ${e}
`)},group:async(e,n)=>(process.stderr.write(`== ${e}
`),n())};async function x(e){let n=$({input:process.stdin,output:process.stderr});try{let t=(await n.question(`${e} (Y/n) `)).trim().toLowerCase();return t===""||t==="y"||t==="yes"}finally{n.close()}}async function E(e){let n;try{n=A(e)}catch(s){return process.stderr.write(`bluegreen: ${d(s)}
Run 'bluegreen --help' for usage.
`),2}if(n==="help")return process.stdout.write(`${v}
`),0;let t=h(n.command??"publish",!1);try{let s=w(n,{defaultRegion:process.env.AWS_REGION??process.env.AWS_DEFAULT_REGION});t.dryRun=s.dryRun;let o=process.stdin.isTTY&&process.stderr.isTTY,{execute:i}=await import("./chunks/execute-I6OTZKIH.js");await i(s,{log:N,report:t,confirm:o?x:void 0,now:()=>new Date,sleep:u=>new Promise(r=>setTimeout(r,u)),runUrl:void 0})}catch(s){if(s instanceof g)return process.stderr.write(`bluegreen: ${s.message}
`),2;t.error=d(s)}process.stdout.write(b(t));for(let[s,o]of Object.entries(t.outputs))process.stdout.write(`${s}=${o}
`);return process.stdout.write(`changed=${t.changed}
`),t.error!==void 0?(process.stderr.write(`bluegreen: ${t.error}
`),1):0}process.exitCode=await E(process.argv.slice(2));
