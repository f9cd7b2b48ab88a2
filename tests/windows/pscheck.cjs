// pscheck.cjs FILE...: parse PowerShell files with tree-sitter-powershell
// (through web-tree-sitter's WebAssembly build: no native code, no
// PowerShell needed) and report every syntax error as FILE:LINE:COLUMN.
// Exit status 0 when every file parses cleanly, 1 otherwise, 2 on usage
// or setup errors. NODE_PATH must reach the two npm packages.
'use strict';
const fs = require('fs');
const path = require('path');

async function main(files) {
  const TS = require('web-tree-sitter');
  const Parser = TS.Parser || TS;
  const Language = TS.Language || Parser.Language;
  await Parser.init();
  const wasm = path.join(path.dirname(require.resolve(
    'tree-sitter-powershell/package.json')), 'tree-sitter-powershell.wasm');
  const lang = await Language.load(wasm);
  const parser = new Parser();
  parser.setLanguage(lang);
  let bad = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const tree = parser.parse(text);
    const errors = [];
    const walk = (node) => {
      if (node.type === 'ERROR' || node.isMissing) {
        const p = node.startPosition;
        errors.push(`${file}:${p.row + 1}:${p.column + 1}: ` +
          (node.isMissing ? `missing ${node.type}` : 'syntax error'));
        return;
      }
      if (!node.hasError) return;
      for (let i = 0; i < node.childCount; i++) walk(node.child(i));
    };
    walk(tree.rootNode);
    if (tree.rootNode.hasError && errors.length === 0)
      errors.push(`${file}:1:1: syntax error`);
    for (const e of errors) console.log(e);
    if (errors.length) bad++;
    else console.log(`${file}: ok`);
  }
  return bad ? 1 : 0;
}

if (process.argv.length < 3) {
  console.error('usage: node pscheck.cjs FILE...');
  process.exit(2);
}
main(process.argv.slice(2)).then((rc) => process.exit(rc), (e) => {
  console.error(`pscheck: ${e && e.stack || e}`);
  process.exit(2);
});
