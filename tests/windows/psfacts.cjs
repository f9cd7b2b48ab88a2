// psfacts.cjs FILE...: facts about PowerShell files, from their syntax
// trees (tree-sitter-powershell through web-tree-sitter, as pscheck.cjs),
// printed as one JSON document {FILE: facts, ...} for the structural tests
// of test_boot.py (one run for every file: loading the grammar's
// WebAssembly costs seconds of CPU). The facts of a file:
//   {"functions": [{"name", "parameters", "advanced", "line", "end_line",
//                   "commands", "variables", "static_types", "strings"}],
//    "top": {...}}
// with the function's declared "parameters" and "advanced" (CmdletBinding),
// and where each command is {"name", "parameters" (the -Names given),
// "line", "offset", "variables", "text"}
// (variables: every $name inside the command, its arguments included),
// static_types the T of every [T]::Member, strings every string literal's
// text. "top" holds the same lists for the code outside any function, and
// the script's own param() names as "parameters".
// Exit status 0, or 2 when the file does not parse or on setup errors.
'use strict';
const fs = require('fs');
const path = require('path');

function descendants(node, type, out) {
  if (node.type === type) out.push(node);
  for (let i = 0; i < node.childCount; i++) descendants(node.child(i), type, out);
  return out;
}

function parameterNames(holder) {
  // The names declared in a param() block or a function's (...) list.
  const names = [];
  if (!holder) return names;
  const list = holder.children.find((c) => c.type === 'parameter_list');
  if (!list) return names;
  for (const sp of list.children.filter((c) => c.type === 'script_parameter')) {
    const v = sp.children.find((c) => c.type === 'variable');
    if (v) names.push(v.text.replace(/^\$/, ''));
  }
  return names;
}

function facts(node, skipFunctions) {
  const f = { commands: [], variables: [], static_types: [], strings: [] };
  const walk = (n) => {
    if (skipFunctions && n.type === 'function_statement') return;
    if (n.type === 'command') {
      const name = n.children.find((c) => c.type === 'command_name');
      if (name) {
        const elements = n.children.find((c) => c.type === 'command_elements');
        const params = elements ? elements.children
          .filter((c) => c.type === 'command_parameter')
          .map((c) => c.text.replace(/^-/, '').replace(/:$/, '')) : [];
        f.commands.push({
          name: name.text,
          parameters: params,
          line: n.startPosition.row + 1,
          offset: n.startIndex,
          variables: descendants(n, 'variable', []).map((v) => v.text),
          text: n.text,
        });
      }
    } else if (n.type === 'variable') {
      f.variables.push(n.text);
    } else if (n.type === 'string_literal') {
      f.strings.push(n.text);
    } else if (n.type === 'invokation_expression' && n.childCount > 1 &&
               n.child(0).type === 'type_literal' && n.child(1).type === '::') {
      f.static_types.push(n.child(0).text.replace(/^\[|\]$/g, ''));
    }
    for (let i = 0; i < n.childCount; i++) walk(n.child(i));
  };
  walk(node);
  return f;
}

async function main(files) {
  const TS = require('web-tree-sitter');
  const Parser = TS.Parser || TS;
  const Language = TS.Language || Parser.Language;
  await Parser.init();
  const wasm = path.join(path.dirname(require.resolve(
    'tree-sitter-powershell/package.json')), 'tree-sitter-powershell.wasm');
  const parser = new Parser();
  parser.setLanguage(await Language.load(wasm));
  const all = {};
  for (const file of files) {
    const tree = parser.parse(fs.readFileSync(file, 'utf8'));
    if (tree.rootNode.hasError) {
      console.error(`${file}: syntax error`);
      return 2;
    }
    all[file] = fileFacts(tree);
  }
  process.stdout.write(JSON.stringify(all) + '\n');
  return 0;
}

function fileFacts(tree) {
  const functions = descendants(tree.rootNode, 'function_statement', []).map((fn) => {
    const name = fn.children.find((c) => c.type === 'function_name');
    const body = fn.children.find((c) => c.type === 'script_block') || fn;
    // Its parameters: inline (function f($a)) or in the body's param().
    const decl = fn.children.find((c) => c.type === 'function_parameter_declaration');
    const block = body.children ? body.children.find((c) => c.type === 'param_block') : null;
    const parameters = parameterNames(decl).concat(parameterNames(block));
    const advanced = block ? /\[CmdletBinding\b/i.test(block.text) : false;
    return Object.assign({
      name: name ? name.text : '',
      parameters,
      advanced,
      line: fn.startPosition.row + 1,
      end_line: fn.endPosition.row + 1,
    }, facts(body, false));
  });
  // The script's own param() block, as "parameters" of "top".
  const block = tree.rootNode.children.find((c) => c.type === 'param_block');
  const top = Object.assign({ parameters: parameterNames(block) },
    facts(tree.rootNode, true));
  return { functions, top };
}

if (process.argv.length < 3) {
  console.error('usage: node psfacts.cjs FILE...');
  process.exit(2);
}
// exitCode, not exit(): the JSON is larger than a pipe's buffer, and
// process.exit() would cut off what is still being written.
main(process.argv.slice(2)).then((rc) => { process.exitCode = rc; }, (e) => {
  console.error(`psfacts: ${e && e.stack || e}`);
  process.exitCode = 2;
});
