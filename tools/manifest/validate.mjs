// Validates a Forge manifest with Atlassian's own validator (@forge/manifest), offline.
// Usage: node validate.mjs PATH/TO/manifest.yml
// Exits 0 when the manifest is valid, 1 after printing every error when it is not, and 2 on bad usage.
import path from 'node:path';
import process from 'node:process';
import manifest from '@forge/manifest';

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate.mjs PATH/TO/manifest.yml');
  process.exit(2);
}

// The validator reads the manifest relative to the working directory and resolves
// resource paths from there, so run it from the manifest's own folder.
process.chdir(path.dirname(path.resolve(file)));
const result = await manifest.validate(false, path.basename(file));
if (!result.success) {
  for (const error of result.errors ?? []) {
    const where = error.reference ? ` (${error.reference})` : '';
    console.error(`${file}: ${error.message}${where}`);
  }
  console.error(`manifest validation failed: ${(result.errors ?? []).length} error(s)`);
  process.exit(1);
}
console.log(`manifest validation passed: ${file}`);
