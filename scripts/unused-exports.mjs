#!/usr/bin/env node
/**
 * Lists the values (functions, constants, classes) that protocol/, engine/ and broker/
 * export but no other module imports: run by `npm run lint` after ESLint, whose rules
 * see one file at a time. Such an export is dead code, or should not be exported.
 * Types are left alone (a public signature exports the types it names), and so are
 * tests and their helpers. Exits 1 when it finds any.
 */
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const configPath = path.join(root, 'tsconfig.json');
const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
const checker = program.getTypeChecker();
const ours = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !f.fileName.includes('/node_modules/'));

/** `file` -> names imported from it by other files ('*' for a namespace import or a dynamic one). */
const imported = new Map();
const use = (file, name) => {
  if (!imported.has(file)) imported.set(file, new Set());
  imported.get(file).add(name);
};
const targetOf = (specifier) => checker.getSymbolAtLocation(specifier)?.valueDeclaration?.getSourceFile().fileName;

for (const sf of ours) {
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      const target = targetOf(node.moduleSpecifier);
      if (target !== undefined) {
        const clause = ts.isImportDeclaration(node) ? node.importClause : node;
        const bindings = ts.isImportDeclaration(node) ? clause?.namedBindings : node.exportClause;
        if (clause?.name) use(target, 'default');
        if (bindings === undefined || ts.isNamespaceImport(bindings) || ts.isNamespaceExport(bindings)) use(target, '*');
        else for (const el of bindings.elements) use(target, (el.propertyName ?? el.name).text);
      }
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length === 1) {
      const target = targetOf(node.arguments[0]);
      if (target !== undefined) use(target, '*');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

const checked = (file) => /^(protocol|engine|broker)\//.test(path.relative(root, file)) && !file.endsWith('/broker/main.ts');
let unused = 0;
for (const sf of ours) {
  if (!checked(sf.fileName)) continue;
  const moduleSymbol = checker.getSymbolAtLocation(sf);
  if (moduleSymbol === undefined) continue;
  const names = imported.get(sf.fileName) ?? new Set();
  if (names.has('*')) continue;
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    if (names.has(symbol.name) || !(symbol.flags & ts.SymbolFlags.Value)) continue;
    const decl = symbol.declarations?.[0];
    const line = decl ? sf.getLineAndCharacterOfPosition(decl.getStart()).line + 1 : 0;
    console.log(`${path.relative(root, sf.fileName)}:${line}  '${symbol.name}' is exported but imported nowhere`);
    unused++;
  }
}
if (unused > 0) {
  console.log(`${unused} unused export(s): delete the code, or drop \`export\` if only its own module uses it`);
  process.exit(1);
}
