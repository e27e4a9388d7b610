import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { documentationFiles, findBrokenLinks, findMissingContents, githubSlug, headingAnchors } from '../../scripts/markdown-links';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

/** A scratch repository with the given markdown files. */
function repo(files: Record<string, string>): string {
  root = mkdtempSync(path.join(tmpdir(), 'links-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

const GUIDE = '# Guide\n\n## Retries and `maxAttempts`\n\n## Retries and `maxAttempts`\n\n## Fault injection: `grpc-resilience/testing`\n';

describe('the markdown link check', () => {
  it('gives headings the anchors GitHub gives them', () => {
    expect(githubSlug('Fault injection for tests: `grpc-resilience/testing`')).toBe('fault-injection-for-tests-grpc-resiliencetesting');
    expect(githubSlug('Which deadline an outgoing call gets (`deadlineClientInterceptor`)')).toBe(
      'which-deadline-an-outgoing-call-gets-deadlineclientinterceptor',
    );
    expect(githubSlug('Summary (issue 9): where the targets stand')).toBe('summary-issue-9-where-the-targets-stand');
    expect(githubSlug('Metrics, [OpenTelemetry](https://opentelemetry.io) → span_id')).toBe('metrics-opentelemetry--span_id');
    expect([...headingAnchors(GUIDE)]).toEqual([
      'guide',
      'retries-and-maxattempts',
      'retries-and-maxattempts-1',
      'fault-injection-grpc-resiliencetesting',
    ]);
    expect([...headingAnchors('```md\n# not a heading\n```\n# Real\n')]).toEqual(['real']);
  });

  it('passes links to files, folders, anchors and external pages that exist', () => {
    const dir = repo({
      'README.md':
        '[guide](docs/guide.md#retries-and-maxattempts-1), [again](./docs/guide.md), [docs](docs/), [npm](https://www.npmjs.com/x#y)\n',
      'docs/guide.md': `${GUIDE}\n[home](../README.md) [top](#guide) [it](#fault-injection-grpc-resiliencetesting)\n[ref]: ../README.md`,
    });
    expect(documentationFiles(dir)).toEqual(['README.md', path.join('docs', 'guide.md')]);
    expect(findBrokenLinks(dir, documentationFiles(dir))).toEqual([]);
  });

  it('catches a link to a file that does not exist', () => {
    const dir = repo({ 'README.md': 'intro\n\nsee [the options](docs/option.md)\n', 'docs/options.md': '# Options\n' });
    expect(findBrokenLinks(dir, documentationFiles(dir))).toEqual([
      { file: 'README.md', line: 3, link: 'docs/option.md', problem: `no such file: ${path.join('docs', 'option.md')}` },
    ]);
  });

  it('catches an anchor that names no heading, on another page or on the same one', () => {
    const dir = repo({
      'README.md': '[retries](docs/guide.md#retries-and-maxattempts-2)\n',
      'docs/guide.md': `${GUIDE}\nback to [the top](#guid)\n`,
    });
    expect(findBrokenLinks(dir, documentationFiles(dir)).map(({ file, link, problem }) => [file, link, problem])).toEqual([
      [
        'README.md',
        'docs/guide.md#retries-and-maxattempts-2',
        `no heading with the anchor #retries-and-maxattempts-2 in ${path.join('docs', 'guide.md')}`,
      ],
      [path.join('docs', 'guide.md'), '#guid', `no heading with the anchor #guid in ${path.join('docs', 'guide.md')}`],
    ]);
  });

  it('ignores links inside code', () => {
    const dir = repo({ 'README.md': '```md\n[broken](nowhere.md)\n```\n\n`[also](nowhere.md)` is code\n' });
    expect(findBrokenLinks(dir, documentationFiles(dir))).toEqual([]);
  });

  it('catches a section missing from the table of contents of its page', () => {
    const dir = repo({
      'README.md': '# Title\n\n- [Install](#install)\n\n## Install\n\n## Usage\n',
      'docs/short.md': '# Short\n\n## Only section\n',
    });
    expect(findMissingContents(dir, documentationFiles(dir))).toEqual([
      { file: 'README.md', line: 7, link: '#usage', problem: 'the table of contents does not list this section' },
    ]);
  });

  it('finds nothing broken or missing in this repository', () => {
    const here = path.join(__dirname, '..', '..');
    expect(findBrokenLinks(here, documentationFiles(here))).toEqual([]);
    expect(findMissingContents(here, documentationFiles(here))).toEqual([]);
  });
});
