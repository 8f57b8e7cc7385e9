// Builds the gadget page into dist/ with esbuild: one ES module entry, a separate chunk for the
// Forge bridge (loaded only inside Jira), the stylesheet, index.html and the gadget's icon.
//
//   node build.mjs           write dist/
//   node build.mjs --check   exit 1 when dist/ differs from a fresh build (CI runs this)
import * as esbuild from 'esbuild';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(here, 'dist');
const check = process.argv.includes('--check');

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ['src/main.js', 'src/gadget.css'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'eof',
  logLevel: 'warning',
  write: false,
});

const files = new Map(result.outputFiles.map((file) => [path.relative(outdir, file.path), Buffer.from(file.contents)]));
for (const name of ['index.html', 'icon.svg']) {
  files.set(name, await readFile(path.join(here, 'src', name)));
}

if (check) {
  const problems = [];
  const existing = await listFiles(outdir).catch(() => []);
  for (const [name, contents] of files) {
    const current = await readFile(path.join(outdir, name)).catch(() => null);
    if (current === null) {
      problems.push(`missing: dist/${name}`);
    } else if (!current.equals(contents)) {
      problems.push(`differs: dist/${name}`);
    }
  }
  for (const name of existing) {
    if (!files.has(name)) {
      problems.push(`not built any more: dist/${name}`);
    }
  }
  if (problems.length > 0) {
    console.error(`web/dist does not match the sources:\n  ${problems.join('\n  ')}\nRun "npm run build" in web/ and commit web/dist.`);
    process.exit(1);
  }
  console.log(`web/dist matches the sources (${files.size} files).`);
} else {
  await rm(outdir, { recursive: true, force: true });
  for (const [name, contents] of files) {
    const target = path.join(outdir, name);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, contents);
  }
  console.log(`wrote ${files.size} files to web/dist`);
}

async function listFiles(dir, prefix = '') {
  const names = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) {
      names.push(...await listFiles(path.join(dir, entry.name), relative));
    } else {
      names.push(relative);
    }
  }
  return names;
}
