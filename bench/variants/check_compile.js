#!/usr/bin/env node
// Does a variant still compile where its original does? (optional; not run by CI)
//
//   node bench/variants/check_compile.js VARIANTS_DIR [--solcs DIR] [--sets a,b] [--sample N]
//        [--files REGEX] [--json FILE]
//
// VARIANTS_DIR is what variants.py wrote (target/variants): one folder per set, "original"
// among them. Compilers come from the npm registry, one per major version, installed in DIR
// (default /tmp/solcs, or $SOLCS):
//   npm install --prefix /tmp/solcs solc04@npm:solc@0.4.26 solc05@npm:solc@0.5.17 \
//       solc06@npm:solc@0.6.12 solc07@npm:solc@0.7.6 solc08@npm:solc@0.8.26 \
//       @openzeppelin/contracts@4.9.6
// Each file is compiled (standard JSON, ABI output, so parsing and type checking but no code
// generation) with the compiler of the major version its pragma names; the pragma line is
// blanked first (same lines), so `pragma solidity 0.4.25;` compiles with 0.4.26. Imports:
// relative ones from the variant set, @openzeppelin/ from DIR/node_modules, forge-std/ from
// the permissive stub beside this script (stubs/forge-std), which has the cheatcodes the
// DeFiVulnLabs tests use. Prints, per set, how many files compile among those whose original
// compiles, and lists the ones that stopped compiling with the first error.
"use strict";
const fs = require("fs");
const path = require("path");

const args = process.argv.slice(2);
if (!args.length || args[0].startsWith("-")) {
  console.error("usage: check_compile.js VARIANTS_DIR [--solcs DIR] [--sets a,b] [--sample N] [--json FILE]");
  process.exit(2);
}
const root = path.resolve(args[0]);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const solcsDir = path.resolve(opt("--solcs", process.env.SOLCS || "/tmp/solcs"));
const nm = path.join(solcsDir, "node_modules");
const sample = parseInt(opt("--sample", "0"), 10);
const jsonOut = opt("--json", null);
const stubDir = path.join(__dirname, "stubs");

let sets = fs.readdirSync(root).filter((d) => fs.statSync(path.join(root, d)).isDirectory());
if (opt("--sets", null)) sets = ["original", ...opt("--sets").split(",").filter((s) => s !== "original")];
if (!sets.includes("original")) {
  console.error(`${root} has no original/ set`);
  process.exit(2);
}
sets = ["original", ...sets.filter((s) => s !== "original")];

const compilers = {};
function compiler(major) {
  if (!(major in compilers)) {
    try {
      compilers[major] = require(path.join(nm, `solc0${major}`));
    } catch (e) {
      compilers[major] = null;
    }
  }
  return compilers[major];
}

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith(".sol")) out.push(p);
  }
  return out;
}

function majorOf(src) {
  const m = /pragma\s+solidity\s+([^;]*);/.exec(src);
  if (!m) return 4;
  const v = /0\.(\d+)/.exec(m[1]);
  return v ? parseInt(v[1], 10) : 4;
}

const blank = (src) => src.replace(/pragma\s+solidity[^;]*;/g, (s) => s.replace(/[^\n]/g, " "));

function compileFile(setDir, rel) {
  const file = path.join(setDir, rel);
  const src = fs.readFileSync(file, "utf8");
  const major = majorOf(src);
  const solc = compiler(major);
  if (!solc) return { ok: null, error: `no compiler for 0.${major}` };
  const input = {
    language: "Solidity",
    sources: { [rel]: { content: blank(src) } },
    settings: { outputSelection: { "*": { "*": ["abi"] } } },
  };
  const read = (p) => {
    const cands = [];
    if (p.startsWith("forge-std/")) cands.push(path.join(stubDir, p));
    if (p.startsWith("@")) cands.push(path.join(nm, p));
    cands.push(path.join(setDir, p));
    for (const c of cands) {
      if (fs.existsSync(c)) {
        const s = fs.readFileSync(c, "utf8");
        return { contents: p.startsWith("@") || p.startsWith("forge-std/") ? s : blank(s) };
      }
    }
    return { error: "not found" };
  };
  let out;
  const inputJson = JSON.stringify(input);
  if (solc.compileStandardWrapper && major === 4) out = solc.compileStandardWrapper(inputJson, read);
  else out = solc.compile(inputJson, { import: read });
  const res = JSON.parse(out);
  const errs = (res.errors || []).filter((e) => e.severity === "error");
  return { ok: errs.length === 0, error: errs.length ? (errs[0].formattedMessage || errs[0].message).split("\n").slice(0, 3).join(" | ") : null };
}

let files = walk(path.join(root, "original")).map((p) => path.relative(path.join(root, "original"), p));
files.sort();
if (opt("--files", null)) files = files.filter((f) => new RegExp(opt("--files")).test(f));
if (sample > 0 && sample < files.length) {
  // a deterministic spread over the list
  const step = files.length / sample;
  files = Array.from({ length: sample }, (_, i) => files[Math.floor(i * step)]);
}
const orig = {};
const started = Date.now();
for (const rel of files) orig[rel] = compileFile(path.join(root, "original"), rel);
const compiling = files.filter((f) => orig[f].ok);
console.log(`originals: ${compiling.length}/${files.length} compile (${((Date.now() - started) / 1000).toFixed(0)} s)`);
for (const f of files.filter((f) => !orig[f].ok)) console.log(`  original does not compile: ${f}: ${orig[f].error}`);
const summary = { files: files.length, originals_compiling: compiling.length, sets: {} };
console.log("\n| transform | variants compiling / originals compiling | % |");
console.log("|---|---:|---:|");
const broken = {};
for (const set of sets.slice(1)) {
  broken[set] = [];
  let ok = 0;
  for (const rel of compiling) {
    if (!fs.existsSync(path.join(root, set, rel))) continue;
    const r = compileFile(path.join(root, set), rel);
    if (r.ok) ok++;
    else broken[set].push([rel, r.error]);
  }
  const pct = compiling.length ? (100 * ok) / compiling.length : 100;
  summary.sets[set] = { compiling: ok, of: compiling.length, broken: broken[set] };
  console.log(`| ${set} | ${ok}/${compiling.length} | ${pct.toFixed(1)} |`);
}
for (const set of sets.slice(1)) {
  for (const [rel, err] of broken[set]) console.log(`  ${set}: ${rel}: ${err}`);
}
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(summary, null, 1));
