// Relative links and anchors in markdown, checked offline: every link to a file must reach an
// existing file or folder, and every #anchor a heading of the page it points into.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

export interface BrokenLink {
  readonly file: string;
  readonly line: number;
  readonly link: string;
  readonly problem: string;
}

const FENCE = /^\s*(```|~~~)/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const INLINE_LINK = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const REFERENCE_DEFINITION = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/;
const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Each line outside fenced code blocks, with its 1-based number. */
function proseLines(markdown: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, i) => {
    const open = FENCE.exec(text)?.[1];
    if (open && (fence === undefined || fence === open)) fence = fence === undefined ? open : undefined;
    else if (fence === undefined) lines.push({ text, line: i + 1 });
  });
  return lines;
}

export interface Heading {
  readonly depth: number;
  readonly text: string;
  readonly anchor: string;
}

/** A page's headings with their anchors, numbered as GitHub numbers repeated headings. */
export function headings(markdown: string): Heading[] {
  const found: Heading[] = [];
  const anchors = new Set<string>();
  for (const { text } of proseLines(markdown)) {
    const match = HEADING.exec(text);
    if (!match) continue;
    const slug = githubSlug(match[2]);
    let anchor = slug;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${slug}-${n}`;
    anchors.add(anchor);
    found.push({ depth: match[1].length, text: match[2], anchor });
  }
  return found;
}

/** The anchors of a page's headings. */
export function headingAnchors(markdown: string): Set<string> {
  return new Set(headings(markdown).map((heading) => heading.anchor));
}

/** The link targets of one line, inline code left out. */
function linksOf(text: string): string[] {
  const prose = text.replace(/`[^`]*`/g, '');
  const links = [...prose.matchAll(INLINE_LINK)].map((m) => m[1]);
  const definition = REFERENCE_DEFINITION.exec(prose)?.[1];
  return definition === undefined ? links : [...links, definition];
}

/** Broken relative links and anchors in the given markdown files (paths relative to `root`). */
export function findBrokenLinks(root: string, files: readonly string[]): BrokenLink[] {
  const anchorsByFile = new Map<string, Set<string>>();
  const anchorsOf = (file: string) => {
    let anchors = anchorsByFile.get(file);
    if (!anchors) anchorsByFile.set(file, (anchors = headingAnchors(readFileSync(file, 'utf8'))));
    return anchors;
  };
  const broken: BrokenLink[] = [];
  for (const file of files) {
    const absolute = path.resolve(root, file);
    for (const { text, line } of proseLines(readFileSync(absolute, 'utf8'))) {
      for (const link of linksOf(text)) {
        if (EXTERNAL.test(link)) continue;
        const [target, anchor] = splitAnchor(link);
        const targetFile = target === '' ? absolute : path.resolve(path.dirname(absolute), decodeURI(target));
        const report = (problem: string) => broken.push({ file, line, link, problem });
        if (!existsSync(targetFile)) report(`no such file: ${path.relative(root, targetFile)}`);
        else if (anchor !== undefined && targetFile.endsWith('.md') && !anchorsOf(targetFile).has(anchor.toLowerCase())) {
          report(`no heading with the anchor #${anchor} in ${path.relative(root, targetFile)}`);
        }
      }
    }
  }
  return broken;
}

/**
 * Sections a page's table of contents leaves out: a page with two or more `##` sections must link
 * to each of them from the page itself.
 */
export function findMissingContents(root: string, files: readonly string[]): BrokenLink[] {
  const missing: BrokenLink[] = [];
  for (const file of files) {
    const markdown = readFileSync(path.resolve(root, file), 'utf8');
    const sections = headings(markdown).filter((heading) => heading.depth === 2);
    if (sections.length < 2) continue;
    const linked = new Set(proseLines(markdown).flatMap(({ text }) => linksOf(text).filter((link) => link.startsWith('#'))));
    for (const section of sections) {
      if (linked.has(`#${section.anchor}`)) continue;
      const line = markdown.split('\n').findIndex((text) => HEADING.exec(text)?.[2] === section.text) + 1;
      missing.push({ file, line, link: `#${section.anchor}`, problem: 'the table of contents does not list this section' });
    }
  }
  return missing;
}

function splitAnchor(link: string): [string, string | undefined] {
  const hash = link.indexOf('#');
  return hash < 0 ? [link, undefined] : [link.slice(0, hash), link.slice(hash + 1)];
}

/** README.md and every markdown file under docs/, relative to `root`. */
export function documentationFiles(root: string): string[] {
  const files = existsSync(path.join(root, 'README.md')) ? ['README.md'] : [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(path.join(root, dir)).sort()) {
      const relative = path.join(dir, name);
      if (statSync(path.join(root, relative)).isDirectory()) walk(relative);
      else if (name.endsWith('.md')) files.push(relative);
    }
  };
  if (existsSync(path.join(root, 'docs'))) walk('docs');
  return files;
}
