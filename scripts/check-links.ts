// `npm run lint`: fails on a broken relative link or anchor in README.md or docs/**/*.md, or on a
// section missing from its page's table of contents.
import * as path from 'node:path';
import { documentationFiles, findBrokenLinks, findMissingContents } from './markdown-links';

const root = path.join(__dirname, '..');
const files = documentationFiles(root);
const broken = [...findBrokenLinks(root, files), ...findMissingContents(root, files)];
for (const { file, line, link, problem } of broken) console.error(`${file}:${line}: ${link}: ${problem}`);
if (broken.length > 0) {
  console.error(`${broken.length} problem(s) in ${files.length} markdown files`);
  process.exit(1);
}
console.log(`links: ${files.length} markdown files, no broken relative link or anchor, every section in its contents`);
